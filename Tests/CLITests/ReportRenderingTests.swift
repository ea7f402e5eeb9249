import Foundation
import JobStore
import TestSupport
import XCTest

/// Renders reports in headless Chromium (Debian's `chromium` package) and checks the pixels:
/// the page is not blank, and the charts' colours are on it, so the inline SVG was drawn.
///
/// Skipped when no Chromium is installed, unless `JOBS_REQUIRE_MODEL=1` (set by CI, which
/// installs it). With `JOBS_REPORT_ARTIFACTS=DIR` the HTML and PNG files are kept in DIR.
final class ReportRenderingTests: XCTestCase {
    func testRenderedReportShowsStatsAndChartsInTheirColours() throws {
        let browser = try ReportRenderingTests.chromium()
        let harness = CLIHarness()
        try ReportTestData.simulate(store: try harness.store(), batch: "nightly", jobs: 160,
                                    start: Date().addingTimeInterval(-7200))
        let image = try render(harness, browser: browser, name: "report")
        XCTAssertEqual([image.width, image.height], [1200, 2000])

        let histogram = image.histogram()
        let background = histogram.max { $0.value < $1.value }!
        let pixels = image.width * image.height
        XCTAssertGreaterThan(histogram.count, 200, "too few colours: the page looks blank")
        XCTAssertLessThan(Double(background.value) / Double(pixels), 0.95, "one colour covers almost the whole page")
        // Text: dark pixels.
        XCTAssertGreaterThan(image.count(near: 0x1f2937, tolerance: 40), 2000, "no dark text pixels")
        // The throughput line and total-time bars, the active-sequences line, the maximum line,
        // the queue-wait and first-token bars, the failed share in the state bar.
        for (name, color) in [("throughput", 0x2563eb), ("active", 0x059669), ("maximum", 0xd97706),
                              ("queue wait", 0x7c3aed), ("first token", 0x0891b2), ("failed", 0xdc2626)] as [(String, UInt32)] {
            XCTAssertGreaterThan(image.count(near: color, tolerance: 16), 150, "hardly any \(name) colour on the page")
        }
    }

    func testRenderedEmptyReportShowsItsPlaceholders() throws {
        let browser = try ReportRenderingTests.chromium()
        let harness = CLIHarness()
        _ = try harness.store()
        let image = try render(harness, browser: browser, name: "empty-report")
        let histogram = image.histogram()
        XCTAssertGreaterThan(histogram.count, 30, "too few colours: the page looks blank")
        XCTAssertGreaterThan(image.count(near: 0x1f2937, tolerance: 40), 1000, "no dark text pixels")
        // The notice's amber background and the charts' empty plot areas.
        XCTAssertGreaterThan(image.count(near: 0xfffbeb, tolerance: 2), 10_000, "no notice box")
        XCTAssertGreaterThan(image.count(near: 0xf9fafb, tolerance: 1), 100_000, "no empty chart areas")
        XCTAssertEqual(image.count(near: 0x2563eb, tolerance: 16), 0, "a chart line on an empty report")
    }

    /// Writes the report, screenshots it at 1200×2000 and decodes the PNG.
    private func render(_ harness: CLIHarness, browser: String, name: String) throws -> PNGImage {
        let html = harness.directory.file("\(name).html"), png = harness.directory.file("\(name).png")
        let outcome = harness.run("report", "-o", html)
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                             "--user-data-dir=\(harness.directory.file("chromium-profile"))",
                             "--screenshot=\(png)", "--window-size=1200,2000", URL(fileURLWithPath: html).absoluteString]
        let log = harness.directory.file("chromium.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                XCTFail("\(browser) took over 90 s to take a screenshot")
                break
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.waitUntilExit()
        try logHandle.close()
        let messages = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard let bytes = FileManager.default.contents(atPath: png) else {
            throw PNGImage.Failure(description: "\(browser) wrote no screenshot (exit \(process.terminationStatus)): \(messages)")
        }
        if let artifacts = ProcessInfo.processInfo.environment["JOBS_REPORT_ARTIFACTS"], !artifacts.isEmpty {
            try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
            for file in [html, png] {
                let target = artifacts + "/" + (file as NSString).lastPathComponent
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: file, toPath: target)
            }
        }
        return try PNGImage(bytes: Array(bytes))
    }

    /// `chromium` or `chromium-browser` from PATH (or /usr/bin).
    static func chromium() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let folders = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/snap/bin"]
        for name in ["chromium", "chromium-browser"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                return folder + "/" + name
            }
        }
        if environment["JOBS_REQUIRE_MODEL"] == "1" {
            throw PNGImage.Failure(description: "JOBS_REQUIRE_MODEL=1 but neither chromium nor chromium-browser is installed; "
                + "install Debian's chromium package (Scripts/install-deps --test)")
        }
        throw XCTSkip("no chromium or chromium-browser to render the report (Scripts/install-deps --test installs it)")
    }
}
