import GGUF
import Kernels

/// Turns GGUF tensors into the decoder's weight formats, checking every shape.
///
/// Matrices become `PackedMatrix` (quantized blocks keep their integer quants and scales
/// exactly; float tensors become f32 panels). Several tensors that read the same input can be
/// stacked into one matrix (Q, K and V; gate and up), so one multiply serves them all.
struct WeightLoader {
    let file: GGUFFile
    var activations: MatrixActivations = .default

    var path: String { file.path }

    /// The tensors `names` stacked by rows: each must have `columns` inputs and the listed
    /// number of outputs.
    func matrix(_ names: [String], columns: Int, rows: [Int]) throws -> PackedMatrix {
        precondition(names.count == rows.count && !names.isEmpty)
        var parts: [(type: TensorType, data: UnsafeRawBufferPointer, rows: Int)] = []
        for (name, rowCount) in zip(names, rows) {
            let info = try file.requireTensor(name)
            guard info.shape == [columns, rowCount] || (rowCount == 1 && info.shape == [columns]) else {
                throw ModelError.tensorShape(path: path, tensor: name, expected: [columns, rowCount], found: info.shape)
            }
            let (type, data) = try file.typedData(of: info)
            parts.append((type, data, rowCount))
        }
        let total = rows.reduce(0, +)
        let rowSource: (Int) -> (type: TensorType, row: UnsafeRawPointer) = { row in
            var r = row
            for part in parts {
                if r < part.rows {
                    let rowBytes = part.type.byteCount(elements: columns)!
                    return (part.type, part.data.baseAddress! + r * rowBytes)
                }
                r -= part.rows
            }
            preconditionFailure("row \(row) out of range")
        }
        let types = parts.map(\.type)
        if let format = Self.integerFormat(types) {
            let maxBlock = 256
            let quants = UnsafeMutablePointer<Int8>.allocate(capacity: maxBlock)
            let scales = UnsafeMutablePointer<Float>.allocate(capacity: maxBlock / 16)
            let offsets = UnsafeMutablePointer<Float>.allocate(capacity: maxBlock / 16)
            defer { quants.deallocate(); scales.deallocate(); offsets.deallocate() }
            return PackedMatrix(rows: total, columns: columns, groupSize: format.groupSize,
                                hasOffsets: format.hasOffsets, int8Activations: activations == .int8) { row, q, s, o in
                let (type, source) = rowSource(row)
                let blockElements = type.blockElements
                for b in 0..<columns / blockElements {
                    let sub = Dequantize.unpackBlock(type, source + b * type.blockBytes,
                                                     quants: quants, scales: scales, offsets: offsets)
                    let base = b * blockElements
                    (q + base).update(from: quants, count: blockElements)
                    // A block's sub-blocks (16 or 32 values) map onto groups of `groupSize`.
                    for g in 0..<blockElements / format.groupSize {
                        let subBlock = g * format.groupSize / sub
                        s[base / format.groupSize + g] = scales[subBlock]
                        o[base / format.groupSize + g] = offsets[subBlock]
                    }
                }
            }
        }
        return PackedMatrix(rows: total, columns: columns) { row, values in
            let (type, source) = rowSource(row)
            Dequantize.row(type, from: source, count: columns, into: values)
        }
    }

    /// The integer panel format that holds every one of `types` exactly, if any.
    static func integerFormat(_ types: [TensorType]) -> (groupSize: Int, hasOffsets: Bool)? {
        var groupSize = 32
        var hasOffsets = false
        for type in types {
            switch type {
            case .q4_0, .q5_0, .q8_0: break
            case .q4_1, .q5_1, .q4_K, .q5_K: hasOffsets = true
            case .q6_K: groupSize = 16
            default: return nil
            }
        }
        return (groupSize, hasOffsets)
    }

    /// A 1-D tensor of `count` values as floats (norm weights, biases, RoPE factors).
    func vector(_ name: String, count: Int) throws -> [Float] {
        let info = try file.requireTensor(name)
        guard info.elementCount == count, info.shape.count == 1 else {
            throw ModelError.tensorShape(path: path, tensor: name, expected: [count], found: info.shape)
        }
        let (type, data) = try file.typedData(of: info)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            Dequantize.row(type, from: data.baseAddress!, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    func optionalVector(_ name: String, count: Int) throws -> [Float]? {
        file.tensor(named: name) == nil ? nil : try vector(name, count: count)
    }

    func has(_ name: String) -> Bool { file.tensor(named: name) != nil }
}
