import Kernels
/// What can go wrong turning a GGUF file into a runnable model.
public enum ModelError: Error, CustomStringConvertible, Sendable {
    case unknownArchitecture(path: String, name: String?, supported: [String])
    case invalidHyperparameter(path: String, key: String, value: String, reason: String)
    case tensorShape(path: String, tensor: String, expected: [Int], found: [Int])
    case unsupportedTensorType(path: String, tensor: String, type: String, reason: String)
    case unsupportedCPU(KernelLevelError)
    case forwardBatchTooLarge(tokens: Int, limit: Int)
    case positionBeyondContext(position: Int, context: Int)
    /// The engine handed over a batch that breaks the `ForwardBatch` contract (a bug).
    case invalidForwardBatch(String)

    public var description: String {
        switch self {
        case let .unknownArchitecture(path, name, supported):
            let found = name.map { "'\($0)'" } ?? "none (no general.architecture key)"
            return "\(path): unsupported model architecture \(found); supported: \(supported.joined(separator: ", "))"
        case let .invalidHyperparameter(path, key, value, reason):
            return "\(path): \(key) = \(value) \(reason)"
        case let .tensorShape(path, tensor, expected, found):
            return "\(path): tensor '\(tensor)' has shape \(found), expected \(expected); the file does not match its own metadata (re-convert it)"
        case let .unsupportedTensorType(path, tensor, type, reason):
            return "\(path): tensor '\(tensor)' has type \(type): \(reason)"
        case let .unsupportedCPU(error):
            return error.description
        case let .forwardBatchTooLarge(tokens, limit):
            return "a forward pass of \(tokens) tokens exceeds the limit of \(limit)"
        case let .positionBeyondContext(position, context):
            return "position \(position) is beyond the model context of \(context) tokens"
        case let .invalidForwardBatch(reason):
            return "internal error: invalid forward batch: \(reason)"
        }
    }
}
