/// Register budget of this level, for the shared kernels' tile shapes: 16 ymm registers, and a
/// `SIMD16<Float>` takes two of them, so 6 accumulators (12 registers) leave room for the
/// operands; AVX-512's tiles would spill to the stack here.
enum LevelTuning {
    /// Most (query, head) rows one attention pass shares key and value loads between (as many
    /// as `accumulators` allows in a power of two).
    static let attentionRows = 4
    static let accumulators = 6
}
