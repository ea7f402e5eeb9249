/// Register budget of this level, for the shared kernels' tile shapes: 16 ymm registers, and a
/// `SIMD16<Float>` takes two of them, so 6 accumulators (12 registers) leave room for the
/// operands; AVX-512's tiles would spill to the stack here.
enum LevelTuning {
    /// Most (query, head) rows one attention pass shares key and value loads between: 6 rows of
    /// one 16-lane accumulator each, plus the two halves of a key (value) vector and one
    /// broadcast, fill the 16 registers. 6 rows (8 loads per 12 multiply-adds) measured about 9%
    /// less attention time than 4 (6 loads per 8) on the long-prompt workload on a Zen 3 EPYC,
    /// 11% with the 64 KiB spans below.
    static let attentionRows = 6
    static let accumulators = 6
    /// Keys (values) per span of a multi-pass attention tile: 64 KiB, an eighth of a Zen 3
    /// core's L2. Measured on a Zen 3 EPYC: 16 and 32 KiB (all of that CPU's L1) were
    /// slower, 128 KiB no faster.
    static let attentionSpanBytes = 65536
}
