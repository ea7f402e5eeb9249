/// Reads the header, metadata and tensor directory of a mapped GGUF v2/v3 file and validates
/// every tensor's position against the file size (layout: ggml `docs/gguf.md`).
///
/// The file is not trusted: counts are checked before anything is allocated for them, every
/// read is bounds-checked (`GGUFByteReader`), and tensors must lie inside the file.
struct GGUFParser {
    struct Result {
        var version: UInt32
        var metadata: GGUFMetadata
        var tensors: [GGUFTensorInfo]
        var tensorIndex: [String: Int]
        var alignment: Int
        var dataOffset: Int
    }

    static let magic: [UInt8] = Array("GGUF".utf8)
    static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    static let maxDimensions = 4
    /// Nested metadata arrays deeper than this are refused (each level recurses).
    static let maxArrayNesting = 16
    /// Largest `general.alignment` accepted; keeps the padding arithmetic far from overflow.
    static let maxAlignment = 1 << 30

    private var reader: GGUFByteReader
    private var path: String { reader.path }

    static func parse(base: UnsafeRawPointer, size: Int, path: String) throws(GGUFError) -> Result {
        var parser = GGUFParser(reader: GGUFByteReader(base: base, size: size, path: path))
        return try parser.parseFile()
    }

    private init(reader: GGUFByteReader) { self.reader = reader }

    private mutating func parseFile() throws(GGUFError) -> Result {
        try checkMagic()
        let version = try reader.uint32()
        try check(version: version)
        // Minimum sizes: a key/value pair with an empty key and a u8 value, a tensor info with
        // an empty name and no dimensions.
        let tensorCount = try reader.count(of: "a tensor count of", minimumElementSize: 24)
        let entryCount = try reader.count(of: "a metadata entry count of", minimumElementSize: 13)

        var entries: [(key: String, value: GGUFValue)] = []
        for index in 0..<entryCount {
            reader.part = .metadata(index: index, key: nil)
            let key = try reader.string()
            reader.part = .metadata(index: index, key: key)
            let value = try readValue(typeID: try reader.uint32(), depth: 0)
            entries.append((key, value))
        }
        let metadata = try GGUFMetadata(path: path, entries: entries)
        let alignment = try Self.alignment(in: metadata)

        var raw: [RawTensorInfo] = []
        raw.reserveCapacity(min(tensorCount, 1 << 16))
        for index in 0..<tensorCount {
            reader.part = .tensorInfo(index: index, name: nil)
            raw.append(try readTensorInfo(index: index))
        }

        // The data section starts at the next multiple of the alignment; with no tensors a
        // writer may omit the padding.
        let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raw.count)
        var tensorIndex = [String: Int](minimumCapacity: raw.count)
        for info in raw {
            guard tensorIndex.updateValue(tensors.count, forKey: info.name) == nil else {
                throw .duplicateTensor(path: path, name: info.name)
            }
            tensors.append(try place(info, dataOffset: dataOffset, alignment: alignment))
        }
        return Result(version: version, metadata: metadata, tensors: tensors, tensorIndex: tensorIndex,
                      alignment: alignment, dataOffset: dataOffset)
    }

    // MARK: Header

    private mutating func checkMagic() throws(GGUFError) {
        let available = min(reader.size, 8)
        let found = (0..<available).map { reader.base.load(fromByteOffset: $0, as: UInt8.self) }
        if found.count < 4 && Array(Self.magic.prefix(found.count)) == found && !found.isEmpty {
            throw .truncated(path: path, part: .header, offset: 0, needed: 4, fileSize: reader.size)
        }
        guard found.count >= 4, Array(found.prefix(4)) == Self.magic else {
            throw .notGGUF(path: path, found: found)
        }
        reader.seek(to: 4)
    }

    private func check(version: UInt32) throws(GGUFError) {
        if version == 2 || version == 3 { return }
        // A big-endian writer stores 3 as 00 00 00 03, which reads as 0x03000000 here.
        if version & 0xFFFF == 0, (1...3).contains(version.byteSwapped) {
            throw .bigEndian(path: path, storedVersion: version)
        }
        throw .unsupportedVersion(path: path, version: version)
    }

    private static func alignment(in metadata: GGUFMetadata) throws(GGUFError) -> Int {
        guard let value = metadata[GGUFKey.alignment] else { return defaultAlignment }
        let found = "\(value.typeDescription) \(value)"
        let unsigned: UInt64?
        switch value {
        case let .uint8(v): unsigned = UInt64(v)
        case let .uint16(v): unsigned = UInt64(v)
        case let .uint32(v): unsigned = UInt64(v)
        case let .uint64(v): unsigned = v
        default: unsigned = nil
        }
        guard let alignment = unsigned, alignment > 0, alignment & (alignment - 1) == 0,
              alignment <= UInt64(maxAlignment) else {
            throw .invalidAlignment(path: metadata.path, found: found)
        }
        return Int(alignment)
    }

    // MARK: Metadata values

    private mutating func readValue(typeID: UInt32, depth: Int) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: typeID) else {
            throw .invalidValueType(path: path, part: reader.part, typeID: typeID)
        }
        switch type {
        case .uint8: return .uint8(try reader.uint8())
        case .int8: return .int8(Int8(bitPattern: try reader.uint8()))
        case .uint16: return .uint16(try reader.uint16())
        case .int16: return .int16(Int16(bitPattern: try reader.uint16()))
        case .uint32: return .uint32(try reader.uint32())
        case .int32: return .int32(Int32(bitPattern: try reader.uint32()))
        case .uint64: return .uint64(try reader.uint64())
        case .int64: return .int64(Int64(bitPattern: try reader.uint64()))
        case .float32: return .float32(Float(bitPattern: try reader.uint32()))
        case .float64: return .float64(Double(bitPattern: try reader.uint64()))
        case .bool: return .bool(try reader.uint8() != 0)
        case .string: return .string(try reader.string())
        case .array: return .array(try readArray(depth: depth + 1))
        }
    }

    private mutating func readArray(depth: Int) throws(GGUFError) -> GGUFArray {
        guard depth <= Self.maxArrayNesting else {
            throw .nestingTooDeep(path: path, part: reader.part, limit: Self.maxArrayNesting)
        }
        let typeID = try reader.uint32()
        guard let type = GGUFValueType(rawValue: typeID) else {
            throw .invalidValueType(path: path, part: reader.part, typeID: typeID)
        }
        let count = try reader.count(of: "an ARRAY[\(type)] length of",
                                     minimumElementSize: type.minimumEncodedSize)
        switch type {
        case .uint8: return .uint8(try reader.array(of: UInt8.self, count: count))
        case .int8: return .int8(try reader.array(of: Int8.self, count: count))
        case .uint16: return .uint16(try reader.array(of: UInt16.self, count: count))
        case .int16: return .int16(try reader.array(of: Int16.self, count: count))
        case .uint32: return .uint32(try reader.array(of: UInt32.self, count: count))
        case .int32: return .int32(try reader.array(of: Int32.self, count: count))
        case .uint64: return .uint64(try reader.array(of: UInt64.self, count: count))
        case .int64: return .int64(try reader.array(of: Int64.self, count: count))
        case .float32: return .float32(try reader.array(of: Float.self, count: count))
        case .float64: return .float64(try reader.array(of: Double.self, count: count))
        case .bool: return .bool(try reader.array(of: UInt8.self, count: count).map { $0 != 0 })
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(min(count, 1 << 20))
            for _ in 0..<count { strings.append(try reader.string()) }
            return .string(strings)
        case .array:
            var arrays: [GGUFArray] = []
            for _ in 0..<count { arrays.append(try readArray(depth: depth + 1)) }
            return .array(arrays)
        }
    }

    // MARK: Tensor directory

    /// A tensor info as stored, before its position is resolved.
    private struct RawTensorInfo {
        var name: String
        var dimensions: [UInt64]
        var typeID: UInt32
        var relativeOffset: UInt64
    }

    private mutating func readTensorInfo(index: Int) throws(GGUFError) -> RawTensorInfo {
        let name = try reader.string()
        reader.part = .tensorInfo(index: index, name: name)
        let dimensionCount = try reader.uint32()
        guard dimensionCount <= UInt32(Self.maxDimensions) else {
            throw .tooManyDimensions(path: path, tensor: name, dimensions: dimensionCount,
                                     limit: Self.maxDimensions)
        }
        var dimensions: [UInt64] = []
        for _ in 0..<dimensionCount { dimensions.append(try reader.uint64()) }
        let typeID = try reader.uint32()
        let offset = try reader.uint64()
        return RawTensorInfo(name: name, dimensions: dimensions, typeID: typeID, relativeOffset: offset)
    }

    /// Checks shape, alignment and bounds, and resolves the absolute offset.
    private func place(_ raw: RawTensorInfo, dataOffset: Int,
                       alignment: Int) throws(GGUFError) -> GGUFTensorInfo {
        func badShape(_ reason: String) -> GGUFError {
            .invalidTensorShape(path: path, tensor: raw.name, shape: raw.dimensions, reason: reason)
        }
        var shape: [Int] = []
        var elementCount = 1
        for dimension in raw.dimensions {
            guard let size = Int(exactly: dimension) else { throw badShape("a dimension is too large") }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else { throw badShape("its element count overflows") }
            shape.append(size)
            elementCount = product
        }

        var byteCount: Int?
        if let geometry = GGMLTypeCatalog.geometry(of: raw.typeID) {
            let rowLength = shape.first ?? 1
            guard rowLength % geometry.blockElements == 0 else {
                throw badShape("ne0 = \(rowLength) is not a multiple of \(geometry.name)'s "
                    + "\(geometry.blockElements)-value block")
            }
            let (bytes, overflow) = (elementCount / geometry.blockElements)
                .multipliedReportingOverflow(by: geometry.blockBytes)
            guard !overflow else { throw badShape("its byte count overflows") }
            byteCount = bytes
        }

        guard raw.relativeOffset % UInt64(alignment) == 0 else {
            throw .misalignedTensor(path: path, tensor: raw.name, offset: raw.relativeOffset,
                                    alignment: alignment)
        }
        let size = reader.size
        let outOfBounds = GGUFError.tensorOutOfBounds(path: path, tensor: raw.name, offset: raw.relativeOffset,
                                                      byteCount: byteCount ?? 0, fileSize: size)
        guard raw.relativeOffset <= UInt64(size), dataOffset + Int(raw.relativeOffset) <= size else {
            throw outOfBounds
        }
        let start = dataOffset + Int(raw.relativeOffset)
        if let byteCount, byteCount > size - start {
            throw .truncated(path: path, part: .tensorData(name: raw.name), offset: start,
                             needed: byteCount, fileSize: size)
        }
        return GGUFTensorInfo(name: raw.name, shape: shape, typeID: raw.typeID, offset: start,
                              elementCount: elementCount, byteCount: byteCount)
    }
}
