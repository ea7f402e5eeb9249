// libFuzzer target: the JSONL request parser (`jobs submit`), built by Scripts/fuzz.
// Bytes in: any file. Checks: parsing never traps; every problem names a line of the file; a
// JSON value that parses serializes to text that parses back to the same value; every accepted
// job's canonical form (what the database stores) reads back as the same request.
@testable import JobStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let value = try? JSONParser.parse(bytes) {
        let text = value.serialized()
        guard let again = try? JSONParser.parse(text), again == value else {
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
