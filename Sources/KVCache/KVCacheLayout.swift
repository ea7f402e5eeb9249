import Kernels

/// How a model's keys and values are laid out in paged KV memory.
///
/// Every key and value is one `precision` element (f32, f16 or bf16).
///
/// Layers with the same attention span (full causal, or a sliding window of W positions) are put
/// in *groups* of equal size, so every block in the pool has the same byte size whatever group
/// it serves (the idea of vLLM's hybrid allocator). A sequence has one block table per group;
/// a sliding-window group only needs the blocks that still overlap the window, so the older
/// ones are released as the sequence grows.
///
/// Gemma 3 270M: 15 local layers (window 512) and 3 global layers → 6 groups of 3 layers.
/// Llama and Qwen2: one group holding every layer.
public struct KVCacheLayout: Sendable, Equatable, CustomStringConvertible {
    public struct Group: Sendable, Equatable {
        /// Model layer indices stored in this group, in slot order.
        public var layers: [Int]
        /// Keys older than `position - window + 1` are never attended (nil: full causal).
        public var window: Int?
    }

    /// Tokens per block.
    public let blockSize: Int
    /// The number format keys and values are stored in.
    public let precision: KVPrecision
    /// Floats per token per layer for keys (KV heads × head dimension) and for values.
    public let keyDim: Int
    public let valueDim: Int
    /// Layers per group (every group has the same count).
    public let layersPerGroup: Int
    public let groups: [Group]
    /// For each model layer: (group, slot within the group).
    public let locations: [(group: Int, slot: Int)]

    /// Groups the layers by their window and splits each kind into groups of the largest
    /// size that divides every kind's layer count.
    /// - Parameter windows: one entry per model layer; nil for full causal attention.
    public init(windows: [Int?], keyDim: Int, valueDim: Int, blockSize: Int = 16, precision: KVPrecision = .f32) {
        precondition(!windows.isEmpty && keyDim > 0 && valueDim > 0 && blockSize > 0)
        // bf16 stores pairs: of a key's dimensions, and of a block's positions.
        precondition(precision != .bf16 || (keyDim % 2 == 0 && blockSize % 2 == 0),
                     "bf16 keys and values need an even key dimension and block size")
        var kinds: [(window: Int?, layers: [Int])] = []
        for (layer, window) in windows.enumerated() {
            if let i = kinds.firstIndex(where: { $0.window == window }) {
                kinds[i].layers.append(layer)
            } else {
                kinds.append((window, [layer]))
            }
        }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let size = kinds.map { $0.layers.count }.reduce(0, gcd)
        var groups: [Group] = []
        var locations = [(group: Int, slot: Int)](repeating: (0, 0), count: windows.count)
        // Full-attention groups first, so group 0 always covers every position.
        for kind in kinds.sorted(by: { ($0.window ?? Int.max) > ($1.window ?? Int.max) }) {
            for start in stride(from: 0, to: kind.layers.count, by: size) {
                let layers = Array(kind.layers[start..<start + size])
                for (slot, layer) in layers.enumerated() { locations[layer] = (groups.count, slot) }
                groups.append(Group(layers: layers, window: kind.window))
            }
        }
        self.blockSize = blockSize
        self.precision = precision
        self.keyDim = keyDim
        self.valueDim = valueDim
        self.layersPerGroup = size
        self.groups = groups
        self.locations = locations
    }

    public var layerCount: Int { locations.count }

    /// Elements of one layer's keys in one block: [keyDim][blockSize] (transposed; see `KVBlockStorage`).
    public var keyElementsPerLayerBlock: Int { blockSize * keyDim }
    public var valueElementsPerLayerBlock: Int { blockSize * valueDim }

    /// Bytes of one block: every layer of a group, keys then values.
    public var bytesPerBlock: Int {
        layersPerGroup * (keyElementsPerLayerBlock + valueElementsPerLayerBlock) * precision.elementBytes
    }

    /// Blocks the smallest usable pool has: one token of one sequence takes a block of every
    /// group of layers.
    public var minimumBlockCount: Int { groups.count }

    /// Whole-block tokens a pool of `bytes` holds with every layer's keys and values (what jobsd
    /// logs as `kv_tokens` and `jobs doctor` states): the blocks that fit, as tokens.
    public func tokens(inPoolOf bytes: Int) -> Int { bytes / bytesPerBlock * bytesPerBlock / bytesPerToken }

    /// Bytes of KV memory one token takes across all layers when nothing is released.
    public var bytesPerToken: Int { layerCount * (keyDim + valueDim) * precision.elementBytes }

    /// The same grouping with another block size and number format.
    public func with(blockSize: Int? = nil, precision: KVPrecision? = nil) -> KVCacheLayout {
        let windows = locations.map { groups[$0.group].window }
        return KVCacheLayout(windows: windows, keyDim: keyDim, valueDim: valueDim, blockSize: blockSize ?? self.blockSize,
                             precision: precision ?? self.precision)
    }

    public static func == (a: KVCacheLayout, b: KVCacheLayout) -> Bool {
        a.blockSize == b.blockSize && a.keyDim == b.keyDim && a.valueDim == b.valueDim
            && a.groups == b.groups && a.precision == b.precision
    }

    public var description: String {
        let kinds = groups.map { $0.window.map { "window \($0)" } ?? "full" }
        return "\(groups.count) KV groups of \(layersPerGroup) layers (\(kinds.joined(separator: ", "))), "
            + "\(blockSize) tokens per block, \(precision) keys and values, \(bytesPerBlock) bytes per block"
    }
}
