/// Register budget of this level, for the shared kernels' tile shapes: 16 ymm registers, and a
/// `SIMD16<Float>` takes two of them, so 6 accumulators (12 registers) leave room for the
/// operands; AVX-512's tiles would spill to the stack here.
enum LevelTuning {
    static let accumulators = 6
}
