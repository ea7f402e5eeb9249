/// Register budget of this level, for the shared kernels' tile shapes: 32 zmm registers, so
/// 16 `SIMD16<Float>` accumulators leave room for the operands.
enum LevelTuning {
    /// Most (query, head) rows one attention pass shares key and value loads between. 16 rows
    /// (one accumulator each) measured 1.4x slower than 8 on the long-prompt workload: the
    /// weighted sum then runs one 16-dimension chunk at a time and its 16 row pointers no longer
    /// fit the general-purpose registers.
    static let attentionRows = 8
    static let accumulators = 16
    /// Keys (values) per span of a multi-pass attention tile: 128 KiB, an eighth of the 1 MiB
    /// or more of L2 an AVX-512 core has (the AVX2 level's 64 KiB is the same eighth of a Zen 3
    /// core's 512 KiB), so the passes over a span read it from L2 and a span's sums wait in
    /// the output less often. Measured on a Zen 5 EPYC, long prompts, alternating binaries:
    /// attention / rest of the forward pass 0.511-0.570 with 32 KiB (an L1), 0.522-0.524 with
    /// 64 KiB, 0.482-0.520 with 128 KiB, 0.475-0.506 with 256 KiB; 16 KiB 0.70.
    static let attentionSpanBytes = 131072
}
