/// Everything that can go wrong opening a GGUF file or reading its metadata and tensors.
///
/// Each message names the file and the part of it that is wrong, and says what to do about it.
/// A corrupt or truncated file is always reported through one of these cases, never by a trap.
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, inspected or mapped (`reason` is the system's words).
    case cannotOpen(path: String, reason: String)
    /// The first bytes are not the magic `GGUF`; `found` holds up to 8 of them.
    case notGGUF(path: String, found: [UInt8])
    /// A little-endian version other than 2 or 3 (version 1 used 32-bit counts).
    case unsupportedVersion(path: String, version: UInt32)
    /// The version field reads as a small number only when byte-swapped.
    case bigEndian(path: String, storedVersion: UInt32)
    /// The file ends before `part` does: `needed` bytes were wanted at `offset`.
    case truncated(path: String, part: GGUFFilePart, offset: Int, needed: Int, fileSize: Int)
    /// A count or length field that cannot be true for a file of this size (it exceeds `limit`,
    /// what the whole file could hold); checked before anything is allocated for it.
    case absurdCount(path: String, part: GGUFFilePart, what: String, count: UInt64, limit: UInt64)
    /// A metadata value (or array element) type id outside 0...12.
    case invalidValueType(path: String, part: GGUFFilePart, typeID: UInt32)
    /// Arrays of arrays nested deeper than the reader accepts.
    case nestingTooDeep(path: String, part: GGUFFilePart, limit: Int)
    case duplicateKey(path: String, key: String)
    /// `general.alignment` is not a non-zero power of two stored as an unsigned integer.
    case invalidAlignment(path: String, found: String)
    case tooManyDimensions(path: String, tensor: String, dimensions: UInt32, limit: Int)
    /// A shape the tensor's type cannot have (rows that are not a whole number of blocks,
    /// sizes that overflow).
    case invalidTensorShape(path: String, tensor: String, shape: [UInt64], reason: String)
    /// The tensor's offset in the data section is not a multiple of the file's alignment.
    case misalignedTensor(path: String, tensor: String, offset: UInt64, alignment: Int)
    /// The tensor's position cannot be represented or starts past the end of the file.
    case tensorOutOfBounds(path: String, tensor: String, offset: UInt64, byteCount: Int, fileSize: Int)
    case duplicateTensor(path: String, name: String)
    case missingKey(path: String, key: String)
    case wrongKeyType(path: String, key: String, expected: String, found: String)
    /// The key has the right kind of value but it does not fit the requested Swift type.
    case valueOutOfRange(path: String, key: String, value: String, expected: String)
    case missingTensor(path: String, name: String)
    case unsupportedTensorType(path: String, tensor: String, typeID: UInt32, typeName: String?,
                               supported: [String])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open \(path): \(reason)"
        case let .notGGUF(path, found):
            if found.isEmpty { return "\(path) is not a GGUF file: it is empty; pass the path of a .gguf model file" }
            let hex = found.map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            let text = String(found.map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "." })
            return "\(path) is not a GGUF file: it starts with bytes \(hex) (\"\(text)\"), not \"GGUF\"; "
                + "pass the path of a .gguf model file"
        case let .unsupportedVersion(path, version):
            if version == 1 {
                return "\(path) is GGUF version 1, which this build cannot read (it reads versions 2 and 3); "
                    + "convert the model again with a recent llama.cpp"
            }
            return "\(path) declares GGUF version \(version), which this build does not know (it reads "
                + "versions 2 and 3); the file is corrupt or newer than this build: re-download it or "
                + "convert it with a recent llama.cpp"
        case let .bigEndian(path, storedVersion):
            return "\(path) is a big-endian GGUF file (version field 0x\(String(storedVersion, radix: 16))); "
                + "this build reads little-endian files only: convert it with a recent llama.cpp "
                + "(gguf-py's gguf_convert_endian.py)"
        case let .truncated(path, part, offset, needed, fileSize):
            return "\(path) is truncated: \(part) needs \(needed) bytes at offset \(offset), past the end "
                + "of the \(fileSize)-byte file; re-download the file"
        case let .absurdCount(path, part, what, count, limit):
            return "\(path) is corrupt: \(part) declares \(what) \(count), more than the \(limit) that "
                + "a file of this size can hold; the file is damaged: re-download it"
        case let .invalidValueType(path, part, typeID):
            return "\(path) is corrupt: \(part) has value type \(typeID), which is not a GGUF type "
                + "(0...12); re-download the file"
        case let .nestingTooDeep(path, part, limit):
            return "\(path): \(part) nests arrays more than \(limit) levels deep; the file is damaged "
                + "or was not written by a GGUF tool"
        case let .duplicateKey(path, key):
            return "\(path) is corrupt: metadata key '\(key)' appears more than once; re-download or "
                + "re-convert the file"
        case let .invalidAlignment(path, found):
            return "\(path): general.alignment is \(found); it must be a non-zero power of two stored as "
                + "an unsigned integer; re-convert the file with a recent llama.cpp"
        case let .tooManyDimensions(path, tensor, dimensions, limit):
            return "\(path): tensor '\(tensor)' has \(dimensions) dimensions; GGUF allows at most \(limit); "
                + "the file is damaged: re-download it"
        case let .invalidTensorShape(path, tensor, shape, reason):
            return "\(path): tensor '\(tensor)' has shape \(shape): \(reason); the file is damaged: "
                + "re-download it"
        case let .misalignedTensor(path, tensor, offset, alignment):
            return "\(path): tensor '\(tensor)' has data offset \(offset), not a multiple of the file's "
                + "alignment \(alignment); the file is damaged: re-download it"
        case let .tensorOutOfBounds(path, tensor, offset, byteCount, fileSize):
            return "\(path): tensor '\(tensor)' (\(byteCount) bytes at data offset \(offset)) lies outside "
                + "the \(fileSize)-byte file; the file is truncated or damaged: re-download it"
        case let .duplicateTensor(path, name):
            return "\(path) is corrupt: tensor '\(name)' appears more than once; re-download or "
                + "re-convert the file"
        case let .missingKey(path, key):
            return "\(path) has no metadata key '\(key)'; the model was converted without it: convert it "
                + "again with a recent llama.cpp"
        case let .wrongKeyType(path, key, expected, found):
            return "\(path): metadata key '\(key)' is \(found), expected \(expected); convert the model "
                + "again with a recent llama.cpp"
        case let .valueOutOfRange(path, key, value, expected):
            return "\(path): metadata key '\(key)' has value \(value), which is not \(expected)"
        case let .missingTensor(path, name):
            return "\(path) has no tensor '\(name)'; the file is not a complete model of its "
                + "architecture: re-download it or convert it again with a recent llama.cpp"
        case let .unsupportedTensorType(path, tensor, typeID, typeName, supported):
            let problem = typeName.map { "has type \($0) (\(typeID)), which this build cannot read" }
                ?? "has type id \(typeID), which this build does not know"
            return "tensor '\(tensor)' in \(path) \(problem); supported: \(supported.joined(separator: ", ")); "
                + "use a model file quantized to those types (for example Q4_K_M, Q8_0 or F16)"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
