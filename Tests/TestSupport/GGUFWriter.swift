import Foundation
import GGUF
import Kernels

/// Writes GGUF files for tests: any metadata, tensors of any type from raw bytes, from floats
/// (through `TestQuantizer`) or from random valid blocks.
///
/// ```swift
/// var w = GGUFWriter()
/// w.add(GGUFKey.architecture, .string("llama"))
/// w.addTensor("token_embd.weight", shape: [64, 32], type: .q8_0, values: weights)
/// try w.write(to: dir.file("tiny.gguf"))
/// ```
///
/// Tensors are laid out in the order added, each at a multiple of `alignment`; when the
/// alignment is not 32, `general.alignment` is written unless it was added explicitly. The
/// writer does not police its input (duplicate keys or tensors are written as given), so tests
/// can build malformed files too.
public struct GGUFWriter {
    public var version: UInt32
    public var alignment: Int
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [Tensor] = []

    public struct Tensor {
        public var name: String
        /// GGUF order: ne0 (contiguous) first.
        public var shape: [Int]
        public var typeID: UInt32
        public var bytes: [UInt8]
    }

    public init(version: UInt32 = 3, alignment: Int = 32) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        self.version = version
        self.alignment = alignment
    }

    public mutating func add(_ key: String, _ value: GGUFValue) {
        metadata.append((key, value))
    }

    /// A tensor of any type id (also ids unknown to `TensorType`) from its raw bytes.
    public mutating func addTensor(_ name: String, shape: [Int], typeID: UInt32, bytes: [UInt8]) {
        tensors.append(Tensor(name: name, shape: shape, typeID: typeID, bytes: bytes))
    }

    /// A tensor from its raw bytes, which must be exactly the size the shape and type need.
    public mutating func addTensor(_ name: String, shape: [Int], type: TensorType, bytes: [UInt8]) {
        let elements = shape.reduce(1, *)
        precondition(type.byteCount(elements: elements) == bytes.count,
                     "\(name): \(bytes.count) bytes do not hold \(shape) values of \(type)")
        addTensor(name, shape: shape, typeID: type.rawValue, bytes: bytes)
    }

    /// A tensor from floats (row-major, ne0 fastest), quantized by `TestQuantizer`.
    public mutating func addTensor(_ name: String, shape: [Int], type: TensorType, values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(shape)")
        precondition((shape.first ?? 1) % type.blockElements == 0,
                     "\(name): ne0 \(shape.first ?? 1) is not a multiple of \(type)'s block")
        addTensor(name, shape: shape, type: type, bytes: TestQuantizer.quantize(values, as: type))
    }

    /// A tensor of random valid blocks (see `RandomBlocks`); returns its bytes.
    @discardableResult
    public mutating func addRandomTensor(_ name: String, shape: [Int], type: TensorType,
                                         using rng: inout SplitMix64) -> [UInt8] {
        let elements = shape.reduce(1, *)
        precondition(elements % type.blockElements == 0, "\(name): \(shape) is not whole \(type) blocks")
        let bytes = RandomBlocks.make(type, blockCount: elements / type.blockElements, using: &rng)
        addTensor(name, shape: shape, type: type, bytes: bytes)
        return bytes
    }

    /// The whole file.
    public func encoded() -> [UInt8] {
        var entries = metadata
        if alignment != 32, !entries.contains(where: { $0.key == GGUFKey.alignment }) {
            entries.append((GGUFKey.alignment, .uint32(UInt32(alignment))))
        }
        var out: [UInt8] = Array("GGUF".utf8)
        out.appendLittleEndian(version)
        out.appendLittleEndian(UInt64(tensors.count))
        out.appendLittleEndian(UInt64(entries.count))
        for (key, value) in entries {
            Self.appendString(key, to: &out)
            out.appendLittleEndian(value.type.rawValue)
            Self.appendPayload(of: value, to: &out)
        }
        var offset = 0
        for tensor in tensors {
            Self.appendString(tensor.name, to: &out)
            out.appendLittleEndian(UInt32(tensor.shape.count))
            for dimension in tensor.shape { out.appendLittleEndian(UInt64(dimension)) }
            out.appendLittleEndian(tensor.typeID)
            out.appendLittleEndian(UInt64(offset))
            offset = padded(offset + tensor.bytes.count)
        }
        out.append(contentsOf: repeatElement(0, count: padded(out.count) - out.count))
        for tensor in tensors {
            out.append(contentsOf: tensor.bytes)
            out.append(contentsOf: repeatElement(0, count: padded(out.count) - out.count))
        }
        return out
    }

    public func write(to path: String) throws {
        try Data(encoded()).write(to: URL(fileURLWithPath: path))
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        out.appendLittleEndian(UInt64(s.utf8.count))
        out.append(contentsOf: s.utf8)
    }

    private static func appendPayload(of value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case let .uint8(v): out.append(v)
        case let .int8(v): out.append(UInt8(bitPattern: v))
        case let .uint16(v): out.appendLittleEndian(v)
        case let .int16(v): out.appendLittleEndian(v)
        case let .uint32(v): out.appendLittleEndian(v)
        case let .int32(v): out.appendLittleEndian(v)
        case let .uint64(v): out.appendLittleEndian(v)
        case let .int64(v): out.appendLittleEndian(v)
        case let .float32(v): out.appendLittleEndian(v.bitPattern)
        case let .float64(v): out.appendLittleEndian(v.bitPattern)
        case let .bool(v): out.append(v ? 1 : 0)
        case let .string(v): appendString(v, to: &out)
        case let .array(v): appendArray(v, to: &out)
        }
    }

    private static func appendArray(_ array: GGUFArray, to out: inout [UInt8]) {
        out.appendLittleEndian(array.elementType.rawValue)
        out.appendLittleEndian(UInt64(array.count))
        switch array {
        case let .uint8(a): out.append(contentsOf: a)
        case let .int8(a): for v in a { out.append(UInt8(bitPattern: v)) }
        case let .uint16(a): for v in a { out.appendLittleEndian(v) }
        case let .int16(a): for v in a { out.appendLittleEndian(v) }
        case let .uint32(a): for v in a { out.appendLittleEndian(v) }
        case let .int32(a): for v in a { out.appendLittleEndian(v) }
        case let .uint64(a): for v in a { out.appendLittleEndian(v) }
        case let .int64(a): for v in a { out.appendLittleEndian(v) }
        case let .float32(a): for v in a { out.appendLittleEndian(v.bitPattern) }
        case let .float64(a): for v in a { out.appendLittleEndian(v.bitPattern) }
        case let .bool(a): for v in a { out.append(v ? 1 : 0) }
        case let .string(a): for s in a { appendString(s, to: &out) }
        case let .array(a): for inner in a { appendArray(inner, to: &out) }
        }
    }
}
