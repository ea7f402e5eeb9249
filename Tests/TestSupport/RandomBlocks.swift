import Kernels

/// Random but valid tensor data of any `TensorType`: quant bytes are uniform, and every scale
/// field is a finite half (or float) of either sign, so dequantized values are finite.
public enum RandomBlocks {
    /// Bytes for `blockCount` blocks of `type` (for float types a block is one value).
    public static func make(_ type: TensorType, blockCount: Int, using rng: inout SplitMix64) -> [UInt8] {
        var bytes = rng.bytes(blockCount * type.blockBytes)
        for block in 0..<blockCount {
            let base = block * type.blockBytes
            switch type {
            case .f32:
                store(rng.nextGaussian().bitPattern, at: base, in: &bytes)
            case .f16:
                store(Float16(rng.nextGaussian()).bitPattern, at: base, in: &bytes)
            case .bf16:
                store(TestQuantizer.bfloat16Bits(rng.nextGaussian()), at: base, in: &bytes)
            case .q4_0, .q5_0, .q8_0, .q4_1, .q5_1, .q8_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
                for offset in type.halfScaleOffsets { storeScale(at: base + offset, in: &bytes, rng: &rng) }
            case .q8_K:
                store(rng.nextFloat(in: -0.02...0.02).bitPattern, at: base, in: &bytes)
            }
        }
        return bytes
    }

    /// A half scale of magnitude up to 0.02, like real weights' block scales.
    private static func storeScale(at offset: Int, in bytes: inout [UInt8], rng: inout SplitMix64) {
        store(Float16(rng.nextFloat(in: -0.02...0.02)).bitPattern, at: offset, in: &bytes)
    }

    private static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { raw in
            for (i, byte) in raw.enumerated() { bytes[offset + i] = byte }
        }
    }
}
