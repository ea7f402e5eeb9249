import GGUF
import Kernels

/// The memory a model's weights take once loaded, from the file's tensor list alone, so
/// `jobs doctor` can state it before loading anything.
///
/// Each matrix (a tensor of two or more dimensions) counts as the `PackedMatrix` the loader
/// makes of it: panels of 16 rows; integer types other than Q8_0 kept in their GGUF blocks'
/// bits (`BlockPanelMatrix.Format.unitBytes` per 16 rows of one block), Q8_0 (and every
/// integer type where the CPU has no int8 products) as int8 quants plus per-group scales
/// (`Int8DotOperands.groupBytes`), float types as f32; each vector as f32. The loader stacks
/// Q/K/V and gate/up into one matrix, which pads rows to 16 once instead of per tensor and
/// can fall back to the int8 repack for some mixes: the estimate is within a few percent of
/// `TransformerModel.weightBytes` (tested).
public enum WeightMemory {
    public static func estimatedBytes(of file: GGUFFile) -> Int {
        file.tensors.reduce(0) { $0 + estimatedBytes(of: $1) }
    }

    public static func estimatedBytes(of tensor: GGUFTensorInfo) -> Int {
        guard tensor.shape.count >= 2, let columns = tensor.shape.first, columns > 0, let type = tensor.type else {
            return tensor.elementCount * MemoryLayout<Float>.size
        }
        let rows = tensor.elementCount / columns
        let panels = (rows + 15) / 16
        if int8DotAvailable, type != .q8_0, let format = PackedMatrix.blockFormat(type),
           columns % format.unitColumns == 0 {
            return panels * columns / format.unitColumns * format.unitBytes
        }
        if let format = PackedMatrix.integerGroups([type]) {
            return panels * columns / format.groupSize
                * Int8DotOperands.groupBytes(groupSize: format.groupSize, hasOffsets: format.hasOffsets)
        }
        return panels * 16 * columns * MemoryLayout<Float>.size
    }

    /// Whether the selected kernel level has int8 products; false (the repack) where no level
    /// can run, so doctor can still state an estimate on such a CPU instead of stopping.
    static var int8DotAvailable: Bool {
        (try? KernelLevel.selected.get())?.kernels.int8DotAvailable ?? false
    }
}
