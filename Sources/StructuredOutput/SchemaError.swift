/// Why a schema cannot be enforced: `pointer` is the JSON pointer (RFC 6901) of the schema
/// object at fault inside the schema (`/properties/age`; empty for the root).
public struct SchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    public var pointer: String
    public var message: String

    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    public var description: String { pointer.isEmpty ? message : "\(pointer): \(message)" }
}
