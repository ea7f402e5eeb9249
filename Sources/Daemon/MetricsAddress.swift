/// Where `/metrics` is served: `HOST:PORT` (`127.0.0.1:9464`, `localhost:9464`, `[::1]:9464`).
/// Port 0 picks a free port (tests).
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(DaemonError) {
        func invalid(_ reason: String) -> DaemonError { .invalidMetricsAddress(text: text, reason: reason) }
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw invalid("an IPv6 address is written [ADDRESS]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw invalid("no port; write HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw invalid("no host; write e.g. 127.0.0.1:9464") }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw invalid("port '\(portText)' is not a number from 0 to 65535")
        }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
