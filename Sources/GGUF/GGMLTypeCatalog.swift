import Kernels

/// Names and block geometry of every ggml type id GGUF files may carry, including those
/// `TensorType` leaves out because this build cannot compute with them (IQ*, TQ*, I8…F64,
/// MXFP4). Knowing their geometry lets the reader bounds-check such tensors at open time and
/// name their type when refusing to read them. Source: gguf-py `GGML_QUANT_SIZES`.
enum GGMLTypeCatalog {
    struct Geometry {
        let name: String
        let blockElements: Int
        let blockBytes: Int
    }

    static func geometry(of typeID: UInt32) -> Geometry? {
        if let type = TensorType(rawValue: typeID) {
            return Geometry(name: type.description, blockElements: type.blockElements,
                            blockBytes: type.blockBytes)
        }
        return others[typeID]
    }

    static func name(of typeID: UInt32) -> String? { geometry(of: typeID)?.name }

    private static let others: [UInt32: Geometry] = [
        16: Geometry(name: "IQ2_XXS", blockElements: 256, blockBytes: 66),
        17: Geometry(name: "IQ2_XS", blockElements: 256, blockBytes: 74),
        18: Geometry(name: "IQ3_XXS", blockElements: 256, blockBytes: 98),
        19: Geometry(name: "IQ1_S", blockElements: 256, blockBytes: 50),
        20: Geometry(name: "IQ4_NL", blockElements: 32, blockBytes: 18),
        21: Geometry(name: "IQ3_S", blockElements: 256, blockBytes: 110),
        22: Geometry(name: "IQ2_S", blockElements: 256, blockBytes: 82),
        23: Geometry(name: "IQ4_XS", blockElements: 256, blockBytes: 136),
        24: Geometry(name: "I8", blockElements: 1, blockBytes: 1),
        25: Geometry(name: "I16", blockElements: 1, blockBytes: 2),
        26: Geometry(name: "I32", blockElements: 1, blockBytes: 4),
        27: Geometry(name: "I64", blockElements: 1, blockBytes: 8),
        28: Geometry(name: "F64", blockElements: 1, blockBytes: 8),
        29: Geometry(name: "IQ1_M", blockElements: 256, blockBytes: 56),
        34: Geometry(name: "TQ1_0", blockElements: 256, blockBytes: 54),
        35: Geometry(name: "TQ2_0", blockElements: 256, blockBytes: 66),
        39: Geometry(name: "MXFP4", blockElements: 32, blockBytes: 17),
    ]
}
