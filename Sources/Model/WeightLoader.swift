import GGUF
import Kernels

/// Turns GGUF tensors into the decoder's weight formats, checking every shape.
///
/// Matrices become `PackedMatrix` (quantized blocks keep their bits where the int8 products
/// run, else are repacked to their integer quants and scales exactly; float tensors become f32
/// panels). Several tensors that read the same input can be
/// stacked into one matrix (Q, K and V; gate and up), so one multiply serves them all.
struct WeightLoader {
    let file: GGUFFile
    var activations: MatrixActivations = .default

    var path: String { file.path }

    /// The tensors `names` stacked by rows: each must have `columns` inputs and the listed
    /// number of outputs.
    func matrix(_ names: [String], columns: Int, rows: [Int]) throws -> PackedMatrix {
        let matrix = try packed(names, columns: columns, rows: rows)
        // Packed: the file's pages of these tensors are no longer needed in memory.
        for name in names { try file.releasePages(of: file.requireTensor(name)) }
        return matrix
    }

    private func packed(_ names: [String], columns: Int, rows: [Int]) throws -> PackedMatrix {
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
        let blockRows = parts.map { PackedMatrix.BlockRows(type: $0.type, data: $0.data.baseAddress!, rows: $0.rows) }
        if activations == .int8, let matrix = PackedMatrix.keepingBlocks(columns: columns, parts: blockRows) {
            return matrix
        }
        if let matrix = PackedMatrix.repacking(columns: columns, parts: blockRows, int8Activations: activations == .int8) {
            return matrix
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
        return PackedMatrix(rows: total, columns: columns) { row, values in
            let (type, source) = rowSource(row)
            Dequantize.row(type, from: source, count: columns, into: values)
        }
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
