/// The byte strings of a vocabulary's tokens as a trie laid out in preorder, built once per
/// tokenizer: walking it with a grammar state visits each shared prefix once, and a subtree
/// whose prefix the grammar refuses is skipped in one jump (`subtreeEnd`).
///
/// Node i (the root is implicit) adds `bytes[i]` to its parent's string, at `depths[i]` (1 for
/// the first byte); the tokens whose string ends there are `tokens[tokenStarts[i]..<tokenStarts[i + 1]]`.
/// The parent of node i is the last node before i with depth `depths[i] - 1`.
public final class TokenTrie: Sendable {
    let bytes: [UInt8]
    let depths: [UInt16]
    let subtreeEnds: [Int32]
    let tokenStarts: [Int32]
    let tokens: [Int32]
    let maximumDepth: Int
    /// Tokens of the vocabulary (the mask's size).
    public let vocabularySize: Int
    /// Tokens that end generation: allowed exactly where the output may end.
    public let endTokens: [Int32]
    private let endTokenSet: Set<Int32>
    /// Every token's bytes, concatenated: token t's are `pieceBytes[pieceOffsets[t]..<pieceOffsets[t + 1]]`.
    private let pieceBytes: [UInt8]
    private let pieceOffsets: [Int32]

    /// `pieces[id]` is token id's text as bytes; empty pieces (control tokens) are never
    /// allowed inside the output. Tokens longer than 65,535 bytes are left out.
    public init(pieces: [[UInt8]], endTokens: [Int32]) {
        vocabularySize = pieces.count
        self.endTokens = endTokens.filter { $0 >= 0 && Int($0) < pieces.count }.sorted()
        let ends = Set(endTokens)
        endTokenSet = ends
        var flat: [UInt8] = [], offsets: [Int32] = [0]
        for piece in pieces {
            flat += piece
            offsets.append(Int32(flat.count))
        }
        pieceBytes = flat
        pieceOffsets = offsets
        var order = pieces.indices.filter { !pieces[$0].isEmpty && pieces[$0].count < 65_535 && !ends.contains(Int32($0)) }
        order.sort { a, b in
            let x = pieces[a], y = pieces[b]
            let shared = min(x.count, y.count)
            var i = 0
            while i < shared {
                if x[i] != y[i] { return x[i] < y[i] }
                i += 1
            }
            return x.count != y.count ? x.count < y.count : a < b
        }
        var bytes: [UInt8] = [], depths: [UInt16] = [], subtreeEnds: [Int32] = []
        var path: [Int] = []  // node index per depth - 1 along the current string
        var previous: [UInt8] = []
        var maximumDepth = 0
        for id in order {
            let piece = pieces[id]
            var shared = 0
            while shared < min(piece.count, previous.count) && piece[shared] == previous[shared] { shared += 1 }
            // Nodes deeper than the shared prefix are complete.
            while path.count > shared {
                subtreeEnds[path.removeLast()] = Int32(bytes.count)
            }
            for depth in shared..<piece.count {
                bytes.append(piece[depth])
                depths.append(UInt16(depth + 1))
                subtreeEnds.append(0)
                path.append(bytes.count - 1)
            }
            maximumDepth = max(maximumDepth, piece.count)
            previous = piece
        }
        while let node = path.popLast() { subtreeEnds[node] = Int32(bytes.count) }
        // Second pass: the node of each token's last byte (same walk), then tokens grouped by node.
        var nodeOfToken: [(node: Int, token: Int32)] = []
        nodeOfToken.reserveCapacity(order.count)
        var cursor: [Int] = []
        previous = []
        var nextNode = 0
        for id in order {
            let piece = pieces[id]
            var shared = 0
            while shared < min(piece.count, previous.count) && piece[shared] == previous[shared] { shared += 1 }
            cursor.removeLast(cursor.count - shared)
            for _ in shared..<piece.count {
                cursor.append(nextNode)
                nextNode += 1
            }
            nodeOfToken.append((cursor[piece.count - 1], Int32(id)))
            previous = piece
        }
        var counts = Array(repeating: Int32(0), count: bytes.count + 1)
        for entry in nodeOfToken { counts[entry.node + 1] += 1 }
        for i in 0..<bytes.count { counts[i + 1] += counts[i] }
        var tokens = Array(repeating: Int32(0), count: nodeOfToken.count)
        var fill = counts
        for entry in nodeOfToken {
            tokens[Int(fill[entry.node])] = entry.token
            fill[entry.node] += 1
        }
        self.tokenStarts = counts
        self.bytes = bytes
        self.depths = depths
        self.subtreeEnds = subtreeEnds
        self.tokens = tokens
        self.maximumDepth = maximumDepth
    }

    var nodeCount: Int { bytes.count }

    func isEndToken(_ token: Int32) -> Bool { endTokenSet.contains(token) }

    /// The bytes of `token` (empty for control tokens and ids outside the vocabulary).
    func piece(_ token: Int32) -> ArraySlice<UInt8> {
        guard token >= 0, Int(token) < vocabularySize else { return [] }
        return pieceBytes[Int(pieceOffsets[Int(token)])..<Int(pieceOffsets[Int(token) + 1])]
    }
}
