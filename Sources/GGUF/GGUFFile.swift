#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kernels

/// A GGUF v2/v3 model file mapped read-only into memory: its metadata, its tensor directory,
/// and the tensors' bytes in place (no copies).
///
/// ```swift
/// let file = try GGUFFile(path: "/work/models/gemma-3-270m-q4_k_m.gguf")
/// let arch = try file.metadata.requireString(GGUFKey.architecture)
/// let info = try file.requireTensor("blk.0.attn_q.weight")
/// let (type, bytes) = try file.typedData(of: info)   // fails clearly for unsupported types
/// ```
///
/// Opening parses and validates the whole header: a damaged or truncated file throws a
/// `GGUFError`, it never traps. The mapping lives as long as this object; buffers returned by
/// `data(of:)` must not outlive it. (As with any mmap, truncating the file on disk while it is
/// mapped makes later reads of the lost pages fault; model files are not rewritten in place.)
public final class GGUFFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    public let path: String
    /// 2 or 3 (they share one little-endian layout).
    public let version: UInt32
    public let metadata: GGUFMetadata
    /// All tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of the data section and of each tensor in it (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int
    public let fileSize: Int

    let base: UnsafeRawPointer
    private let tensorIndex: [String: Int]

    /// The types `typedData(of:)` hands out: those `Dequantize` can turn into floats.
    public static let supportedTypes: [TensorType] = TensorType.allCases.filter(\.isSupported)

    public init(path: String) throws(GGUFError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: Self.systemError()) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .cannotOpen(path: path, reason: Self.systemError())
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size > 0 else { throw .notGGUF(path: path, found: []) }

        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
              mapping != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(Self.systemError())")
        }
        let parsed: GGUFParser.Result
        do {
            parsed = try GGUFParser.parse(base: UnsafeRawPointer(mapping), size: size, path: path)
        } catch {
            munmap(mapping, size)
            throw error
        }
        self.path = path
        self.version = parsed.version
        self.metadata = parsed.metadata
        self.tensors = parsed.tensors
        self.tensorIndex = parsed.tensorIndex
        self.alignment = parsed.alignment
        self.dataOffset = parsed.dataOffset
        self.fileSize = size
        self.base = UnsafeRawPointer(mapping)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), fileSize)
    }

    /// `general.architecture`, if present and a string.
    public var architecture: String? { metadata.string(GGUFKey.architecture) }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let info = tensor(named: name) else { throw .missingTensor(path: path, name: name) }
        return info
    }

    /// The tensor's bytes in the mapping. Only for tensors whose size is known (`byteCount` is
    /// not nil) and that came from this file; use `typedData(of:)` to read a tensor as numbers.
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        guard let byteCount = tensor.byteCount else {
            preconditionFailure("tensor '\(tensor.name)' has type id \(tensor.typeID) of unknown size")
        }
        precondition(tensor.offset >= dataOffset && byteCount <= fileSize - tensor.offset,
                     "tensor '\(tensor.name)' does not belong to \(path)")
        return UnsafeRawBufferPointer(start: base + tensor.offset, count: byteCount)
    }

    /// The tensor's type and bytes, or `unsupportedTensorType` when this build cannot read the
    /// type (naming the tensor, the file, the type, and the supported types).
    public func typedData(of tensor: GGUFTensorInfo) throws(GGUFError) -> (type: TensorType,
                                                                           bytes: UnsafeRawBufferPointer) {
        guard let type = tensor.type, type.isSupported else {
            throw .unsupportedTensorType(path: path, tensor: tensor.name, typeID: tensor.typeID,
                                         typeName: tensor.typeName,
                                         supported: Self.supportedTypes.map(\.description))
        }
        return (type, data(of: tensor))
    }

    /// Drops the tensor's pages from this process's mapping (`madvise(MADV_DONTNEED)`, whole
    /// pages around its bytes), for a caller that has copied what it needs: a loaded model then
    /// holds its packed weights, not those plus the file's pages (peak RSS at load was the two
    /// together). The bytes stay readable: a later read maps them in again from the file,
    /// unchanged (the mapping is private and never written). Neighbouring tensors on a shared
    /// page are unaffected but for that refault.
    public func releasePages(of tensor: GGUFTensorInfo) {
        let bytes = data(of: tensor)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: bytes.baseAddress!) / page) * page
        let end = (Int(bitPattern: bytes.baseAddress!) + bytes.count + page - 1) / page * page
        let mappingEnd = Int(bitPattern: base) + fileSize
        let length = min(end, (mappingEnd + page - 1) / page * page) - start
        if length > 0 { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), length, MADV_DONTNEED) }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
