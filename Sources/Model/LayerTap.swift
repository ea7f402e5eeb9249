import Synchronization

/// The residual stream after every layer of a forward pass, kept for comparing the decoder with
/// `Scripts/reference_forward.py --taps` layer by layer, under the same name: `l_out`, llama.cpp's
/// graph callback name for a layer's output. The first layer whose rows differ is where a new
/// family's recipe goes wrong (`LayerComparisonTests`; `JOBS_LAYER_MODEL=FILE swift test
/// --filter LayerComparisonTests` for a real file).
public final class LayerTap: Sendable {
    /// `layers[il]` is [tokens][embedding] of layer `il`'s output, in batch order.
    private let recorded = Mutex<[[[Float]]]>([])

    public init() {}

    public var layers: [[[Float]]] { recorded.withLock { $0 } }

    func record(layer: Int, rows: UnsafePointer<Float>, count: Int, width: Int) {
        let copy = (0..<count).map { Array(UnsafeBufferPointer(start: rows + $0 * width, count: width)) }
        recorded.withLock { layers in
            while layers.count <= layer { layers.append([]) }
            layers[layer] = copy
        }
    }
}
