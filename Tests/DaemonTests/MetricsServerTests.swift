import XCTest
@testable import Daemon

final class MetricsServerTests: XCTestCase {
    private func server(_ registry: MetricsRegistry = MetricsRegistry()) throws -> MetricsServer {
        let server = try MetricsServer(address: MetricsAddress(host: "127.0.0.1", port: 0), registry: registry)
        server.start()
        addTeardownBlock { server.stop() }
        return server
    }

    func testGetMetricsAnswersTheExpositionAsPrometheusText() throws {
        let registry = MetricsRegistry()
        let counter = registry.counter("jobs_finished_total", help: "Jobs done.")
        let server = try server(registry)
        XCTAssertEqual(server.address.host, "127.0.0.1")
        XCTAssertGreaterThan(server.address.port, 0)

        counter.increment(by: 4)
        let response = try HTTPClient.get(port: server.address.port, path: "/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(response.headers["content-length"], String(response.body.utf8.count))
        XCTAssertEqual(response.body, registry.exposition())
        XCTAssertEqual(HTTPClient.sample("jobs_finished_total", in: response.body), 4)

        counter.increment()
        let again = try HTTPClient.get(port: server.address.port, path: "/metrics?x=1")
        XCTAssertEqual(HTTPClient.sample("jobs_finished_total", in: again.body), 5, "every scrape reads current values")
    }

    func testOtherPathsAreNotFoundAndOtherMethodsNotAllowed() throws {
        let server = try server()
        XCTAssertEqual(try HTTPClient.get(port: server.address.port, path: "/").status, 404)
        XCTAssertEqual(try HTTPClient.get(port: server.address.port, path: "/metrics/x").status, 404)
        let post = try HTTPClient.get(port: server.address.port, path: "/metrics", method: "POST")
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.headers["allow"], "GET, HEAD")
        let head = try HTTPClient.get(port: server.address.port, path: "/metrics", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, "")
        XCTAssertEqual(try HTTPClient.send(port: server.address.port, raw: "nonsense\r\n\r\n").status, 400)
    }

    func testAClientThatSendsNothingDoesNotBlockOthersForever() throws {
        let server = try server()
        // A connection that never sends a request; the server drops it after its timeout.
        let idle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(idle) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(server.address.port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(idle, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let start = Date()
        XCTAssertEqual(try HTTPClient.get(port: server.address.port, path: "/metrics").status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(start), 4)
    }

    func testAddressInUseIsAClearError() throws {
        let first = try server()
        XCTAssertThrowsError(try MetricsServer(address: first.address, registry: MetricsRegistry())) { error in
            XCTAssertEqual(error as? DaemonError, .metricsAddressInUse(address: first.address.description))
            XCTAssertTrue("\(error)".contains("already in use"), "\(error)")
        }
    }

    func testStopClosesTheListener() throws {
        let server = try MetricsServer(address: MetricsAddress(host: "127.0.0.1", port: 0), registry: MetricsRegistry())
        server.start()
        XCTAssertEqual(try HTTPClient.get(port: server.address.port, path: "/metrics").status, 200)
        server.stop()
        XCTAssertThrowsError(try HTTPClient.get(port: server.address.port, path: "/metrics"))
    }

    func testAddressParsing() throws {
        XCTAssertEqual(try MetricsAddress(parsing: "127.0.0.1:9464"), MetricsAddress(host: "127.0.0.1", port: 9464))
        XCTAssertEqual(try MetricsAddress(parsing: "localhost:0"), MetricsAddress(host: "localhost", port: 0))
        XCTAssertEqual(try MetricsAddress(parsing: "[::1]:9464"), MetricsAddress(host: "::1", port: 9464))
        XCTAssertEqual(MetricsAddress(host: "::1", port: 9464).description, "[::1]:9464")
        for bad in ["9464", ":9464", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:http", "[::1]9464"] {
            XCTAssertThrowsError(try MetricsAddress(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("--metrics-addr \(bad): "), "\(error)")
            }
        }
    }
}
