/// How a user names a job on the command line: `42` (its number), `nightly/item-7`
/// (batch and custom id), or `item-7` (a custom id used in one batch only).
public enum JobReference: Sendable, Equatable, CustomStringConvertible {
    case id(Int64)
    case qualified(batch: String, customID: String)
    /// A custom id, or a `BATCH/CUSTOM_ID` whose batch part did not name a batch.
    case customID(String)

    /// Digits are a job number; text with a `/` is tried as `BATCH/CUSTOM_ID` first, since
    /// batch names cannot contain `/` while custom ids can.
    public init(parsing text: String) {
        if let id = Int64(text), id > 0, text.allSatisfy(\.isASCII) {
            self = .id(id)
        } else if let slash = text.firstIndex(of: "/"), slash != text.startIndex,
                  text.index(after: slash) != text.endIndex {
            self = .qualified(batch: String(text[..<slash]),
                              customID: String(text[text.index(after: slash)...]))
        } else {
            self = .customID(text)
        }
    }

    public var description: String {
        switch self {
        case .id(let id): return String(id)
        case .qualified(let batch, let customID): return "\(batch)/\(customID)"
        case .customID(let customID): return customID
        }
    }
}
