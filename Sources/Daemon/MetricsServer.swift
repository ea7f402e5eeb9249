import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 listener for Prometheus: `GET /metrics` answers 200 with the registry's
/// exposition (`text/plain; version=0.0.4`), any other path 404, any other method 405.
/// One request per connection (`Connection: close`), served one at a time on the server's own
/// thread; a client that stalls is dropped after two seconds.
///
/// Binds in `init`, so a taken address is an error at start-up, not later.
public final class MetricsServer: Sendable {
    /// The address actually bound (the chosen port when asked for port 0).
    public let address: MetricsAddress
    private let listener: Int32
    private let registry: MetricsRegistry
    private let stopping = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    private static let maximumRequestBytes = 16 * 1024
    private static let clientTimeoutSeconds = 2

    public init(address: MetricsAddress, registry: MetricsRegistry) throws(DaemonError) {
        self.registry = registry
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &found)
        guard status == 0, let info = found else {
            throw .invalidMetricsAddress(text: address.description, reason: "cannot resolve host: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(found) }

        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .metricsSocket(address: address.description, operation: "socket", errno: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            if code == EADDRINUSE { throw .metricsAddressInUse(address: address.description) }
            throw .metricsSocket(address: address.description, operation: "bind", errno: code)
        }
        guard listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw .metricsSocket(address: address.description, operation: "listen", errno: code)
        }
        listener = fd
        self.address = MetricsAddress(host: address.host, port: MetricsServer.boundPort(fd) ?? address.port)
    }

    deinit {
        if !started.load(ordering: .acquiring) { close(listener) }
    }

    /// Serves on a new thread until `stop()`.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            serve()
            close(listener)
            finished.signal()
        }
        thread.name = "jobsd-metrics"
        thread.start()
    }

    /// Stops accepting and waits for the server thread (at most one poll interval).
    public func stop() {
        guard started.load(ordering: .acquiring), !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    private func serve() {
        while !stopping.load(ordering: .acquiring) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            guard ready > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: MetricsServer.clientTimeoutSeconds, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        guard let head = readRequestHead(client) else { return }
        let requestLine = head.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            respond(client, status: "400 Bad Request", body: "malformed request line\n")
            return
        }
        let method = parts[0]
        let path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard method == "GET" || method == "HEAD" else {
            respond(client, status: "405 Method Not Allowed", body: "only GET is supported\n", extraHeaders: "Allow: GET, HEAD\r\n")
            return
        }
        guard path == "/metrics" else {
            respond(client, status: "404 Not Found", body: "not found; metrics are at /metrics\n")
            return
        }
        respond(client, status: "200 OK", body: registry.exposition(), contentType: MetricsServer.contentType,
                includeBody: method == "GET")
    }

    /// The request line and headers (up to the blank line), or nil when the client sent too
    /// much, too slowly, or closed the connection first.
    private func readRequestHead(_ client: Int32) -> String? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while bytes.count < MetricsServer.maximumRequestBytes {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            let searchStart = max(0, bytes.count - 3)
            bytes.append(contentsOf: chunk[0..<count])
            if let _ = bytes[searchStart...].firstRange(of: end) {
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        return nil
    }

    private func respond(_ client: Int32, status: String, body: String, contentType: String = "text/plain; charset=utf-8",
                         extraHeaders: String = "", includeBody: Bool = true) {
        let payload = Array(body.utf8)
        var response = Array(("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(payload.count)\r\n"
            + extraHeaders + "Connection: close\r\n\r\n").utf8)
        if includeBody { response += payload }
        var offset = 0
        while offset < response.count {
            let sent = response.withUnsafeBytes { send(client, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    private static func boundPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }
}
