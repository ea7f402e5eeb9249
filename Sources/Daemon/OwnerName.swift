import Foundation

/// Lease owner names: `HOST:PID:SUFFIX`, unique across restarts even when a PID comes back.
public enum OwnerName {
    public static func make() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let suffix = String(UInt32.random(in: 0...0xffff), radix: 16)
        return "\(host):\(getpid()):\(suffix)"
    }
}
