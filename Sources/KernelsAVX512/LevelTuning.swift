/// Register budget of this level, for the shared kernels' tile shapes: 32 zmm registers, so
/// 16 `SIMD16<Float>` accumulators leave room for the operands.
enum LevelTuning {
    /// Most (query, head) rows one attention pass shares key and value loads between. 16 rows
    /// (one accumulator each) measured 1.4x slower than 8 on the long-prompt workload: the
    /// weighted sum then runs one 16-dimension chunk at a time and its 16 row pointers no longer
    /// fit the general-purpose registers.
    static let attentionRows = 8
    static let accumulators = 16
    /// Keys (values) per span of a multi-pass attention tile: 32 KiB, an Intel core's L1, so
    /// every pass over a span reads it from L1.
    static let attentionSpanBytes = 32768
}
