// libFuzzer target: the JSONL request parser (`jobs submit`), built by Scripts/fuzz.
// Bytes in: any file. Checks: parsing never traps; every problem names a line of the file; a
// JSON value that parses serializes to text that parses back to the same value; every accepted
// job's canonical form (what the database stores) reads back as the same request.
// Serializing writes a whole double without its fraction (`1.0` as `1`, on purpose: compact
// canonical requests), so numbers compare by value.
import JSON
import JobStore
@testable import RequestFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let value = try? JSONParser.parse(bytes) {
        let text = value.serialized()
        guard let again = try? JSONParser.parse(text), sameJSON(again, value) else {
            fatalError("JSON value does not survive serialization: \(text)")
        }
    }
    let parsed = BatchFileParser.parse(bytes)
    let lineCount = bytes.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    for problem in parsed.problems where !(1...lineCount).contains(problem.line) {
        fatalError("problem on line \(problem.line) of a \(lineCount)-line file: \(problem)")
    }
    for job in parsed.jobs {
        let canonical = job.request.canonicalJSON
        guard let stored = try? JobRequest(canonicalJSON: canonical), stored == job.request else {
            fatalError("line \(job.line): the stored form \(canonical) does not read back as the request")
        }
    }
    return 0
}

/// Equal, with an integer and a double of the same value counted as the same number.
func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.integer(let x), .double(let y)), (.double(let y), .integer(let x)): return Double(x) == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && sameJSON($0.value, $1.value) }
    default: return a == b
    }
}
