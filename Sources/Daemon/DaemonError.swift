import Foundation

/// What stops `jobsd` from starting, and what makes one job unrunnable. Job errors are stored
/// on the job, so their messages do not repeat the job id.
public enum DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    case modelNotFound(path: String)
    case invalidMetricsAddress(text: String, reason: String)
    case metricsAddressInUse(address: String)
    case metricsSocket(address: String, operation: String, errno: Int32)
    /// A chat job on a model whose chat format is unknown (`problem` from the model loader).
    case chatFormatUnavailable(problem: String)
    /// A chat job whose messages the model's format cannot render.
    case invalidConversation(String)
    /// A stored `response_format` whose schema does not compile (submit refuses those, so only
    /// a database edited by hand has one).
    case invalidOutputFormat(String)

    public var description: String {
        switch self {
        case .modelNotFound(let path):
            return "model file \(path) not found; run Scripts/install-model or pass --model"
        case .invalidMetricsAddress(let text, let reason):
            return "--metrics-addr \(text): \(reason)"
        case .metricsAddressInUse(let address):
            return "--metrics-addr \(address) is already in use (another jobsd?); choose another port, e.g. --metrics-addr 127.0.0.1:9465"
        case .metricsSocket(let address, let operation, let code):
            return "cannot serve metrics on \(address): \(operation) failed: \(String(cString: strerror(code)))"
        case .chatFormatUnavailable(let problem):
            return "chat jobs cannot run on this model: \(problem)"
        case .invalidConversation(let message):
            return message
        case .invalidOutputFormat(let message):
            return "response_format: \(message)"
        }
    }
}
