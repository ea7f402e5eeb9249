import KernelInterface
import Kernels

/// `--kv-type f16|bf16|f32`, the number format of the KV cache, for every command that runs the model.
public enum KVTypeOption {
    public static let option = OptionSpec(
        name: "kv-type", valueName: "f16|bf16|f32",
        help: "number format of the KV cache; f16 and bf16 hold twice the tokens in the same memory, and bf16 attends with "
            + "AVX-512 BF16 pair products where the CPU has them (default \(KVPrecision.default))")

    /// The given format, or the default; a usage error names the flag and the accepted values.
    public static func parse(_ arguments: ParsedArguments, command: String) throws -> KVPrecision {
        guard let text = arguments.value("kv-type") else { return KVPrecision.default }
        guard let precision = KVPrecision(rawValue: text.lowercased()) else {
            throw CLIError.usage(command: command, message: "--kv-type: expected f16, bf16 or f32, got '\(text)'")
        }
        return precision
    }
}
