/// bfloat16 rounding of KV cache elements at the selected kernel level, 16 at a time, as
/// `BFloat16Bits.rounded` (nearest even; subnormals to zero).
public enum BFloat16Conversion {
    public static func convert(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<UInt16>) {
        KernelLevel.active.convertToBFloat16(x, count: count, into: out)
    }
}
