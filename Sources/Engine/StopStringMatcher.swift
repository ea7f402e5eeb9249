/// Finds stop strings in generated text and holds back text that might still become one, so a
/// stop string is never emitted.
///
/// Works on UTF-8 bytes of valid text: a stop string can only start at a character boundary,
/// so every cut falls between characters. Invariant: text already emitted contains no stop
/// string and no stop string starts inside it, hence a stop string always lies entirely in the
/// held-back part.
struct StopStringMatcher {
    private let stops: [[UInt8]]
    /// Text not yet emitted: a suffix that is a proper prefix of some stop string.
    private var held: [UInt8] = []

    enum Outcome: Equatable {
        /// Safe text to emit (possibly empty); generation goes on.
        case text(String)
        /// The text before the stop string; generation ends here.
        case stopped(String)
    }

    init(stops: [String]) {
        self.stops = stops.map { Array($0.utf8) }
    }

    mutating func push(_ text: String) -> Outcome {
        guard !stops.isEmpty else { return .text(text) }
        held.append(contentsOf: text.utf8)
        if let start = earliestStop() {
            defer { held.removeAll() }
            return .stopped(String(decoding: held[..<start], as: UTF8.self))
        }
        let keep = heldBackStart()
        let emitted = String(decoding: held[..<keep], as: UTF8.self)
        held.removeFirst(keep)
        return .text(emitted)
    }

    /// The held-back text, once generation has ended for another reason.
    mutating func flush() -> String {
        defer { held.removeAll() }
        return String(decoding: held, as: UTF8.self)
    }

    /// Start of the earliest complete stop string in `held`.
    private func earliestStop() -> Int? {
        var earliest: Int?
        for stop in stops where stop.count <= held.count {
            for start in 0...(held.count - stop.count) {
                if let e = earliest, start >= e { break }
                if held[start..<start + stop.count].elementsEqual(stop) { earliest = start; break }
            }
        }
        return earliest
    }

    /// Start of the earliest suffix of `held` that is a proper prefix of a stop string
    /// (`held.count` when there is none).
    private func heldBackStart() -> Int {
        for start in held.indices {
            let suffix = held[start...]
            if stops.contains(where: { $0.count > suffix.count && $0.starts(with: suffix) }) { return start }
        }
        return held.count
    }
}
