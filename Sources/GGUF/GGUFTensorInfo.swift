import Kernels

/// Where one tensor lives in a GGUF file and what it holds.
///
/// `shape` is in GGUF order: `shape[0]` (ne0) is the contiguous dimension, so a 2-D weight with
/// shape `[K, N]` is N rows of K values, row-major `[N × K]`. Bounds were checked when the file
/// was opened, for every tensor whose type has a known block size.
public struct GGUFTensorInfo: Equatable, Sendable {
    public let name: String
    /// [ne0, ne1, ...], at most 4 dimensions.
    public let shape: [Int]
    /// ggml type id as stored in the file.
    public let typeID: UInt32
    /// Absolute byte offset of the first value in the file.
    public let offset: Int
    public let elementCount: Int
    /// Bytes of data; `nil` when the type id is unknown to this build, so its size is unknown.
    public let byteCount: Int?

    public init(name: String, shape: [Int], typeID: UInt32, offset: Int, elementCount: Int,
                byteCount: Int?) {
        self.name = name
        self.shape = shape
        self.typeID = typeID
        self.offset = offset
        self.elementCount = elementCount
        self.byteCount = byteCount
    }

    /// The element type; `nil` when the id is not one of `TensorType`'s (for example IQ types).
    /// A non-nil type may still be unsupported (`TensorType.isSupported`).
    public var type: TensorType? { TensorType(rawValue: typeID) }

    /// ggml's name for the type (`Q4_K`, `IQ2_XXS`), or `nil` for an id unknown to this build.
    public var typeName: String? { GGMLTypeCatalog.name(of: typeID) }

    /// Values per row (ne0); 1 for a 0-dimensional tensor.
    public var rowLength: Int { shape.first ?? 1 }

    /// Rows (the product of all dimensions but the first); 0 when a row is empty.
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }
}
