import Foundation
import StructuredOutput
import XCTest
@testable import Daemon
@testable import JobStore
import RequestFormats

/// Structured jobs through the daemon on the tiny model (random weights; its 256 byte tokens can
/// spell any JSON): the stored format reaches the engine, complete values end with `stop`,
/// values cut by max_tokens with `length`, and plain jobs beside them are unaffected.
final class StructuredOutputDaemonTests: XCTestCase {
    func testStructuredJobsFinishInsideTheirFormats() throws {
        let fixture = try DaemonFixture()
        let labels = OutputFormat.jsonSchema(.object([(key: "enum", value: .array([.string("yes"), .string("no"), .string("maybe")]))]))
        let number = OutputFormat.jsonSchema(.object([(key: "type", value: .string("integer")), (key: "minimum", value: .integer(0)),
                                                      (key: "maximum", value: .integer(50))]))
        var jobs: [(String, JobRequest)] = []
        for i in 0..<6 {
            var request = DaemonFixture.completion("label this \(i)", maxTokens: 30, temperature: 1, seed: Int64(i))
            request.responseFormat = ResponseFormat(format: i % 2 == 0 ? labels : number, name: "n")
            jobs.append(("s\(i)", request))
        }
        jobs.append(("plain", DaemonFixture.completion("the cat", maxTokens: 6)))
        var object = DaemonFixture.completion("a record", maxTokens: 3, temperature: 1, seed: 9)
        object.responseFormat = ResponseFormat(format: .jsonObject)
        jobs.append(("cut", object))
        try fixture.submit(jobs, name: "structured")
        let summary = try fixture.daemon().run()
        XCTAssertEqual(summary.failed, 0)
        for job in try fixture.jobs() {
            XCTAssertEqual(job.state, .succeeded, "\(job.customID): \(job.lastError ?? "")")
            let (result, _, _) = try fixture.result(job.id)
            let value = result.text.trimmingCharacters(in: .whitespacesAndNewlines)
            switch job.customID {
            case "plain":
                XCTAssertGreaterThan(result.completionTokens, 0)
            case "cut":
                XCTAssertEqual(result.finishReason, .length)
                XCTAssertTrue(try OutputFormat.jsonObject.compile().acceptsPrefix(result.text), result.text)
            default:
                let index = Int(job.customID.dropFirst())!
                if index % 2 == 0 {
                    XCTAssertEqual(result.finishReason, .stop, result.text)
                    XCTAssertTrue(["\"yes\"", "\"no\"", "\"maybe\""].contains(value), result.text)
                } else if result.finishReason == .stop {
                    XCTAssertTrue((0...50).contains(Int(value) ?? -1), result.text)
                } else {
                    XCTAssertTrue(try number.compile().acceptsPrefix(result.text), result.text)
                }
            }
        }
    }
}
