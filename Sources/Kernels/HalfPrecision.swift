/// IEEE binary16 conversion of KV cache elements at the selected kernel level (F16C's
/// `vcvtps2ph`/`vcvtph2ps`: round to nearest even one way, exact the other).
public enum HalfPrecision {
    public static func convert(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float16>) {
        KernelLevel.active.convertToHalf(x, count: count, into: out)
    }

    public static func convert(_ x: UnsafePointer<Float16>, count: Int, into out: UnsafeMutablePointer<Float>) {
        KernelLevel.active.convertFromHalf(x, count: count, into: out)
    }
}
