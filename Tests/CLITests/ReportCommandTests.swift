import CommandLineKit
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import JobStore
@testable import JobsCLI
import TestSupport
import XCTest

/// `jobs report`: the HTML it writes for empty, sample-less and busy databases.
final class ReportCommandTests: XCTestCase {
    static let sections = ["stats", "throughput", "active-sequences", "latency"]

    func testEmptyDatabaseGivesValidReportSayingThereIsNoData() throws {
        let harness = CLIHarness()
        _ = try harness.store()
        let outcome = harness.run("report", "-o", "-")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        let html = outcome.output
        let document = try ParsedReport(html)
        XCTAssertEqual(document.sectionIDs, ReportCommandTests.sections)
        XCTAssertTrue(html.contains("There is no data yet: the database has no jobs."), html)
        XCTAssertTrue(html.contains("No data yet: no job has generated tokens."))
        XCTAssertTrue(html.contains("No engine samples recorded."))
        XCTAssertEqual(html.components(separatedBy: "No succeeded jobs yet.").count - 1, 3)
        XCTAssertEqual(document.count("svg"), 5)
        XCTAssertFalse(html.lowercased().contains("http"))
    }

    func testBusyDatabaseReportHasStatsAndChartsFromEngineSamples() throws {
        let harness = CLIHarness()
        let store = try harness.store()
        let night = try ReportTestData.simulate(store: store, batch: "nightly", jobs: 120,
                                                start: Date(timeIntervalSince1970: 1_790_000_000))
        XCTAssertGreaterThan(night.failed, 0)
        XCTAssertGreaterThan(night.samples, 100)
        let outcome = harness.run("report", "-o", "-")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        let html = outcome.output
        let document = try ParsedReport(html)
        XCTAssertEqual(document.sectionIDs, ReportCommandTests.sections)
        XCTAssertEqual(document.count("svg"), 5)
        // Two series in each time chart (a filled area and its line, plus the dashed maximum),
        // and a bar per non-empty histogram bin.
        XCTAssertEqual(document.count("polyline"), 3)
        XCTAssertEqual(document.count("polygon"), 2)
        XCTAssertGreaterThan(document.count("rect"), 20)
        XCTAssertTrue(document.texts.contains("tokens/s"))
        XCTAssertTrue(document.texts.contains("sequences"))
        XCTAssertTrue(document.texts.contains { $0.hasPrefix("p95 ") })
        XCTAssertTrue(html.contains("From the daemons' engine samples"))
        XCTAssertFalse(html.contains("There is no data yet"))
        XCTAssertFalse(html.lowercased().contains("http"))
        XCTAssertTrue(document.attributeValues.allSatisfy { !$0.contains("://") })

        // The summary repeats `jobs stats`.
        let stats = try store.stats()
        XCTAssertTrue(html.contains("<div class=\"value\">\(TextFormat.count(night.completionTokens))</div>"), html)
        XCTAssertTrue(html.contains("<tr><td>total</td><td class=\"num\">\(TextFormat.duration(stats.totalTime!.p50))</td>"))
        XCTAssertTrue(html.contains("<td class=\"num\">\(night.failed)</td>"))
        XCTAssertTrue(html.contains("<div class=\"value\">\(TextFormat.rate(stats.tokensPerSecond!))</div>"))
    }

    func testWithoutEngineSamplesThroughputIsEstimatedFromResults() throws {
        let harness = CLIHarness()
        try ReportTestData.simulate(store: try harness.store(), batch: "b", jobs: 30, start: Date(timeIntervalSince1970: 1_790_000_000),
                                    recordSamples: false)
        let outcome = harness.run("report", "--batch", "b", "-o", "-")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        let document = try ParsedReport(outcome.output)
        XCTAssertEqual(document.sectionIDs, ReportCommandTests.sections)
        XCTAssertTrue(outcome.output.contains("jobs report: batch b"))
        XCTAssertTrue(outcome.output.contains("No engine samples were recorded, so this is estimated from the results"))
        XCTAssertTrue(outcome.output.contains("No engine samples recorded while this batch ran."))
        XCTAssertEqual(document.count("polyline"), 1)
    }

    func testQueuedButUnfinishedJobsAreNotData() throws {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        let outcome = harness.run("report", "-o", "-")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.output.contains("There is no data yet: 3 jobs queued, none finished."), outcome.output)
        _ = try ParsedReport(outcome.output)
    }

    func testPathsInTheReportAreEscaped() throws {
        let harness = CLIHarness()
        let folder = harness.directory.file("a&b <c> \"d\"")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let database = folder + "/jobs.db"
        try ReportTestData.simulate(store: try JobStore(path: database), batch: "n", jobs: 10,
                                    start: Date(timeIntervalSince1970: 1_790_000_000))
        let outcome = harness.run("--db", database, "report", "-o", "-")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.output.contains("a&amp;b &lt;c&gt; &quot;d&quot;/jobs.db"), outcome.output)
        _ = try ParsedReport(outcome.output)
    }

    func testReportFileIsWrittenAndSummarized() throws {
        let harness = CLIHarness()
        try ReportTestData.simulate(store: try harness.store(), batch: "n", jobs: 12, start: Date(timeIntervalSince1970: 1_790_000_000))
        let path = harness.directory.file("report.html")
        let outcome = harness.run("report", "-o", path)
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertEqual(outcome.output, "")
        XCTAssertTrue(outcome.errors.hasPrefix("Wrote \(path): 12 jobs, 12 finished jobs, "), outcome.errors)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(try ParsedReport(html).sectionIDs, ReportCommandTests.sections)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
    }

    func testReportNeedsOutputAndAKnownBatch() throws {
        let harness = CLIHarness()
        _ = try harness.store()
        let missing = harness.run("report")
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.errors.hasPrefix("jobs report: missing --output FILE\n"), missing.errors)
        let unknown = harness.run("report", "--batch", "nope", "-o", "-")
        XCTAssertEqual(unknown.code, 1)
        XCTAssertEqual(unknown.errors, "jobs: no batch named \"nope\"; there are no batches yet\n")
        let unwritable = harness.run("report", "-o", harness.directory.file("missing-folder/report.html"))
        XCTAssertEqual(unwritable.code, 1)
        XCTAssertEqual(unwritable.errors,
                       "jobs: cannot write \(harness.directory.file("missing-folder/report.html.partial")): No such file or directory\n")
        // A folder given for the file: said so before anything is written, and the folder is left as it was.
        let folder = harness.directory.file("reports")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let intoFolder = harness.run("report", "-o", folder)
        XCTAssertEqual(intoFolder.code, 1)
        XCTAssertEqual(intoFolder.errors, "jobs: cannot write \(folder): it is a directory, not a file\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + ".partial"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }

    func testWellFormednessCheckCatchesBrokenMarkup() {
        XCTAssertNoThrow(try ParsedReport("<html><body><p>a &amp; b</p></body></html>"))
        for broken in ["<html><body><p>a & b</p></body></html>", "<html><body><p>open</body></html>",
                       "<html><body>&nbsp;</body></html>", "<html><svg><rect></svg></html>"] {
            XCTAssertThrowsError(try ParsedReport(broken), broken)
        }
    }
}

/// The report parsed as XML (it is written to be well-formed): the ids of its sections, every
/// element name, text, and attribute value. Parsing fails on any unclosed or misnested tag,
/// unescaped `&` or `<`, or HTML-only entity.
struct ParsedReport {
    private(set) var sectionIDs: [String] = []
    private(set) var elements: [String] = []
    private(set) var texts: [String] = []
    private(set) var attributeValues: [String] = []

    init(_ html: String) throws {
        let collector = Collector()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = collector
        guard parser.parse(), collector.error == nil else {
            throw ReportParseError(description: "the report is not well-formed at line \(parser.lineNumber), "
                + "column \(parser.columnNumber): \((collector.error ?? parser.parserError).map { "\($0)" } ?? "unknown error")")
        }
        sectionIDs = collector.sectionIDs
        elements = collector.elements
        texts = collector.texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        attributeValues = collector.attributeValues
    }

    func count(_ element: String) -> Int { elements.filter { $0 == element }.count }

    struct ReportParseError: Error, CustomStringConvertible {
        var description: String
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var sectionIDs: [String] = []
        var elements: [String] = []
        var texts: [String] = []
        var attributeValues: [String] = []
        var error: Error?
        private var text = ""
        /// Element names not yet closed: corelibs' parser does not report a mismatched end tag itself.
        private var open: [String] = []

        func parser(_ parser: XMLParser, parseErrorOccurred error: Error) {
            if self.error == nil { self.error = error }
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            flush()
            open.append(name)
            elements.append(name)
            attributeValues += attributes.values
            if name == "section", let id = attributes["id"] { sectionIDs.append(id) }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            flush()
            if open.last == name {
                open.removeLast()
            } else if error == nil {
                error = ParsedReport.ReportParseError(description: "</\(name)> closes <\(open.last ?? "nothing")>")
                parser.abortParsing()
            }
        }

        func parserDidEndDocument(_ parser: XMLParser) {
            if !open.isEmpty, error == nil {
                error = ParsedReport.ReportParseError(description: "unclosed <\(open.joined(separator: "> <"))>")
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        private func flush() {
            texts.append(text)
            text = ""
        }
    }
}
