import KVCache

/// KV memory for one-off commands that know how many tokens they will hold.
enum KVSizing {
    /// Bytes for `tokens` positions of one sequence in every KV group, with a block of slack.
    static func bytes(tokens: Int, layout: KVCacheLayout) -> Int {
        let blocks = (tokens + layout.blockSize - 1) / layout.blockSize + 1
        return blocks * layout.groups.count * layout.bytesPerBlock
    }
}
