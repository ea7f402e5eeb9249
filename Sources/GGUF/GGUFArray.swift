/// A metadata array. Elements are stored as typed Swift arrays, not as boxed values, so that
/// the 262,144-entry vocabulary arrays load in milliseconds.
public enum GGUFArray: Equatable, Sendable, CustomStringConvertible {
    case uint8([UInt8])
    case int8([Int8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case uint64([UInt64])
    case int64([Int64])
    case float32([Float])
    case float64([Double])
    case bool([Bool])
    case string([String])
    /// An array of arrays; each inner array has its own element type.
    case array([GGUFArray])

    public var elementType: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    public var count: Int {
        switch self {
        case let .uint8(a): return a.count
        case let .int8(a): return a.count
        case let .uint16(a): return a.count
        case let .int16(a): return a.count
        case let .uint32(a): return a.count
        case let .int32(a): return a.count
        case let .uint64(a): return a.count
        case let .int64(a): return a.count
        case let .float32(a): return a.count
        case let .float64(a): return a.count
        case let .bool(a): return a.count
        case let .string(a): return a.count
        case let .array(a): return a.count
        }
    }

    /// The elements as `Int`s when the array holds integers of any width that all fit.
    public var intValues: [Int]? {
        switch self {
        case let .uint8(a): return a.map { Int($0) }
        case let .int8(a): return a.map { Int($0) }
        case let .uint16(a): return a.map { Int($0) }
        case let .int16(a): return a.map { Int($0) }
        case let .uint32(a): return a.map { Int($0) }
        case let .int32(a): return a.map { Int($0) }
        case let .int64(a): return a.map { Int($0) }
        case let .uint64(a):
            var result = [Int]()
            result.reserveCapacity(a.count)
            for v in a {
                guard let i = Int(exactly: v) else { return nil }
                result.append(i)
            }
            return result
        default: return nil
        }
    }

    public var isIntegers: Bool {
        switch self {
        case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
        default: return false
        }
    }

    /// A short form for messages: the type, the count and the first few elements.
    public var description: String {
        let head: [String]
        switch self {
        case let .uint8(a): head = a.prefix(4).map { "\($0)" }
        case let .int8(a): head = a.prefix(4).map { "\($0)" }
        case let .uint16(a): head = a.prefix(4).map { "\($0)" }
        case let .int16(a): head = a.prefix(4).map { "\($0)" }
        case let .uint32(a): head = a.prefix(4).map { "\($0)" }
        case let .int32(a): head = a.prefix(4).map { "\($0)" }
        case let .uint64(a): head = a.prefix(4).map { "\($0)" }
        case let .int64(a): head = a.prefix(4).map { "\($0)" }
        case let .float32(a): head = a.prefix(4).map { "\($0)" }
        case let .float64(a): head = a.prefix(4).map { "\($0)" }
        case let .bool(a): head = a.prefix(4).map { "\($0)" }
        case let .string(a): head = a.prefix(4).map { "\"\($0)\"" }
        case let .array(a): head = a.prefix(4).map { $0.description }
        }
        let more = count > head.count ? ", …" : ""
        return "ARRAY[\(elementType)] of \(count) [\(head.joined(separator: ", "))\(more)]"
    }
}
