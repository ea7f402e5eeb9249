/// Register budget of this level, for the shared kernels' tile shapes: 32 zmm registers, so
/// 16 `SIMD16<Float>` accumulators leave room for the operands.
enum LevelTuning {
    static let accumulators = 16
}
