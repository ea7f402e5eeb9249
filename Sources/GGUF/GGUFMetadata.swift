/// The key/value metadata of a GGUF file, in file order, with typed getters.
///
/// Three ways to read a key, by how much the caller needs it:
/// - `requireInt(key)` and friends throw `missingKey` or `wrongKeyType` (naming the file, the
///   key, and expected versus found type): for keys a model cannot do without.
/// - `int(key, default:)` returns the default when the key is absent and throws when it is
///   present with another type: for optional keys with a known default.
/// - `int(key)` returns `nil` when the key is absent *or* has another type: for lookups where
///   either case means "not given".
///
/// Integer getters accept any integer width (`UINT8`…`INT64`); float getters accept `FLOAT32`
/// and `FLOAT64`. Keys are spelled by `GGUFKey`.
public struct GGUFMetadata: Sendable {
    /// The file the metadata came from, for error messages.
    public let path: String
    /// All entries in file order.
    public let entries: [(key: String, value: GGUFValue)]
    private let indexByKey: [String: Int]

    /// Metadata from entries in order; duplicate keys are an error, as in a file.
    public init(path: String, entries: [(key: String, value: GGUFValue)]) throws(GGUFError) {
        var index = [String: Int](minimumCapacity: entries.count)
        for (position, entry) in entries.enumerated() {
            guard index.updateValue(position, forKey: entry.key) == nil else {
                throw .duplicateKey(path: path, key: entry.key)
            }
        }
        self.path = path
        self.entries = entries
        self.indexByKey = index
    }

    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public func contains(_ key: String) -> Bool { indexByKey[key] != nil }

    public subscript(key: String) -> GGUFValue? {
        indexByKey[key].map { entries[$0].value }
    }

    // MARK: Lenient getters: nil when absent or of another type

    public func string(_ key: String) -> String? { self[key].flatMap(Self.asString) }
    public func int(_ key: String) -> Int? { self[key].flatMap(Self.asInt) }
    public func float(_ key: String) -> Float? { self[key].flatMap(Self.asDouble).map(Float.init) }
    public func double(_ key: String) -> Double? { self[key].flatMap(Self.asDouble) }
    public func bool(_ key: String) -> Bool? { self[key].flatMap(Self.asBool) }
    public func stringArray(_ key: String) -> [String]? { self[key].flatMap(Self.asStringArray) }
    public func floatArray(_ key: String) -> [Float]? { self[key].flatMap(Self.asFloatArray) }
    public func intArray(_ key: String) -> [Int]? { self[key].flatMap(Self.asIntArray) }

    // MARK: Getters with a default: absent → default, another type → error

    public func string(_ key: String, default value: String) throws(GGUFError) -> String {
        try optional(key, Self.asString, expected: "STRING") ?? value
    }
    public func int(_ key: String, default value: Int) throws(GGUFError) -> Int {
        try optionalInt(key) ?? value
    }
    public func float(_ key: String, default value: Float) throws(GGUFError) -> Float {
        try optional(key, Self.asDouble, expected: "FLOAT32").map(Float.init) ?? value
    }
    public func double(_ key: String, default value: Double) throws(GGUFError) -> Double {
        try optional(key, Self.asDouble, expected: "FLOAT64") ?? value
    }
    public func bool(_ key: String, default value: Bool) throws(GGUFError) -> Bool {
        try optional(key, Self.asBool, expected: "BOOL") ?? value
    }

    // MARK: Required getters: absent or another type → error

    public func requireString(_ key: String) throws(GGUFError) -> String {
        try required(key, Self.asString, expected: "STRING")
    }
    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        guard let value = try optionalInt(key) else { throw .missingKey(path: path, key: key) }
        return value
    }
    public func requireFloat(_ key: String) throws(GGUFError) -> Float {
        Float(try required(key, Self.asDouble, expected: "FLOAT32"))
    }
    public func requireDouble(_ key: String) throws(GGUFError) -> Double {
        try required(key, Self.asDouble, expected: "FLOAT64")
    }
    public func requireBool(_ key: String) throws(GGUFError) -> Bool {
        try required(key, Self.asBool, expected: "BOOL")
    }
    public func requireStringArray(_ key: String) throws(GGUFError) -> [String] {
        try required(key, Self.asStringArray, expected: "ARRAY[STRING]")
    }
    public func requireFloatArray(_ key: String) throws(GGUFError) -> [Float] {
        try required(key, Self.asFloatArray, expected: "ARRAY[FLOAT32]")
    }
    public func requireIntArray(_ key: String) throws(GGUFError) -> [Int] {
        guard let value = self[key] else { throw .missingKey(path: path, key: key) }
        guard case let .array(array) = value, array.isIntegers else {
            throw .wrongKeyType(path: path, key: key, expected: "an ARRAY of integers",
                                found: value.typeDescription)
        }
        guard let ints = array.intValues else {
            throw .valueOutOfRange(path: path, key: key, value: array.description,
                                   expected: "an array of integers that fit in Int")
        }
        return ints
    }

    // MARK: Helpers

    private func required<T>(_ key: String, _ extract: (GGUFValue) -> T?,
                             expected: String) throws(GGUFError) -> T {
        guard let value = try optional(key, extract, expected: expected) else {
            throw .missingKey(path: path, key: key)
        }
        return value
    }

    private func optional<T>(_ key: String, _ extract: (GGUFValue) -> T?,
                             expected: String) throws(GGUFError) -> T? {
        guard let value = self[key] else { return nil }
        guard let result = extract(value) else {
            throw .wrongKeyType(path: path, key: key, expected: expected, found: value.typeDescription)
        }
        return result
    }

    /// Distinguishes "not an integer" from "an integer too large for Int" (a UINT64 above
    /// Int.max), which get different errors.
    private func optionalInt(_ key: String) throws(GGUFError) -> Int? {
        guard let value = self[key] else { return nil }
        guard value.isInteger else {
            throw .wrongKeyType(path: path, key: key, expected: "an integer", found: value.typeDescription)
        }
        guard let int = value.intValue else {
            throw .valueOutOfRange(path: path, key: key, value: value.description,
                                   expected: "an integer that fits in Int")
        }
        return int
    }

    private static func asString(_ value: GGUFValue) -> String? {
        if case let .string(s) = value { return s }
        return nil
    }
    private static func asInt(_ value: GGUFValue) -> Int? { value.intValue }
    private static func asDouble(_ value: GGUFValue) -> Double? {
        switch value {
        case let .float32(f): return Double(f)
        case let .float64(d): return d
        default: return nil
        }
    }
    private static func asBool(_ value: GGUFValue) -> Bool? {
        if case let .bool(b) = value { return b }
        return nil
    }
    private static func asStringArray(_ value: GGUFValue) -> [String]? {
        if case let .array(.string(a)) = value { return a }
        return nil
    }
    private static func asFloatArray(_ value: GGUFValue) -> [Float]? {
        switch value {
        case let .array(.float32(a)): return a
        case let .array(.float64(a)): return a.map { Float($0) }
        default: return nil
        }
    }
    private static func asIntArray(_ value: GGUFValue) -> [Int]? {
        if case let .array(array) = value { return array.intValues }
        return nil
    }
}
