/// The region of a GGUF file a reading error happened in, for messages.
public enum GGUFFilePart: Equatable, Sendable, CustomStringConvertible {
    case header
    /// Entry `index` (0-based) of the metadata; `key` once it has been read.
    case metadata(index: Int, key: String?)
    /// Tensor info `index` (0-based); `name` once it has been read.
    case tensorInfo(index: Int, name: String?)
    case tensorData(name: String)

    public var description: String {
        switch self {
        case .header: return "the header"
        case let .metadata(index, key?): return "metadata entry \(index) ('\(key)')"
        case let .metadata(index, nil): return "metadata entry \(index)"
        case let .tensorInfo(index, name?): return "tensor info \(index) ('\(name)')"
        case let .tensorInfo(index, nil): return "tensor info \(index)"
        case let .tensorData(name): return "the data of tensor '\(name)'"
        }
    }
}
