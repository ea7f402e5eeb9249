// libFuzzer target: the GGUF reader (header, metadata, tensor directory), built by Scripts/fuzz.
// Bytes in: any file. Checks: reading never traps (every count and offset is untrusted); a
// file that is accepted has every tensor inside it and metadata that can be printed.
@testable import GGUF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUFReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let result = try? GGUFParser.parse(base: UnsafeRawPointer(data), size: size, path: "fuzz.gguf") else {
        return 0
    }
    // A file without tensors may end before its (aligned) data section would start.
    guard result.alignment > 0, result.tensors.isEmpty || result.dataOffset <= size else {
        fatalError("data offset \(result.dataOffset) beyond a \(size)-byte file")
    }
    for tensor in result.tensors {
        // `offset` is absolute: the data section's start plus the file's relative offset.
        let (end, overflow) = tensor.offset.addingReportingOverflow(tensor.byteCount ?? 0)
        guard !overflow, tensor.offset >= result.dataOffset, end <= size else {
            fatalError("tensor \(tensor.name) at \(tensor.offset)+\(tensor.byteCount ?? -1) outside a \(size)-byte file")
        }
        guard result.tensorIndex[tensor.name] != nil else { fatalError("tensor \(tensor.name) missing from the index") }
    }
    _ = "\(result.metadata)"
    return 0
}
