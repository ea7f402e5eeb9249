import Foundation
import TestSupport
import XCTest
@testable import JobStore
import RequestFormats

final class SubmitTests: XCTestCase {
    func testInsertsEveryJobOfTheBatch() throws {
        let fixture = try StoreFixture()
        let batch = try fixture.submitJobs(3, priority: 5)
        XCTAssertEqual(batch.name, "test")
        XCTAssertEqual(batch.jobCount, 3)
        let list = try fixture.store.list(limit: 10)
        XCTAssertEqual(list.totalMatching, 3)
        XCTAssertEqual(list.jobs.map(\.customID), ["job0", "job1", "job2"])
        XCTAssertEqual(list.jobs.map(\.line), [1, 2, 3])
        XCTAssertTrue(list.jobs.allSatisfy { $0.state == .queued && $0.priority == 5 && $0.attempts == 0 })
        XCTAssertEqual(try list.jobs[1].decodedRequest(), JobRequest(input: .prompt("Say 1")))
        XCTAssertEqual(list.jobs[1].requestHash, JobRequest(input: .prompt("Say 1")).hash)
    }

    private func submission(_ text: String, name: String?) -> BatchSubmission {
        BatchSubmission(name: name, source: "elsewhere.jsonl", sha256: SHA256.hex(text),
                        jobs: StoreFixture.parse(text).jobs)
    }

    private let twoJobs = (0..<2).map { #"{"id": "job\#($0)", "prompt": "Say \#($0)"}"# }
        .joined(separator: "\n") + "\n"

    func testResubmittingTheSameContentWithoutANameInsertsNothing() throws {
        let fixture = try StoreFixture()
        let first = try fixture.submitJobs(2)
        XCTAssertEqual(try fixture.store.submit(submission(twoJobs, name: nil)), .alreadySubmitted(first))
        XCTAssertEqual(try fixture.store.counts().total, 2)
        XCTAssertEqual(try fixture.store.batch(sha256: SHA256.hex(twoJobs)), first)
        XCTAssertEqual(try fixture.store.earlierSubmission(sha256: SHA256.hex(twoJobs), name: nil), first)
    }

    func testResubmittingTheSameContentUnderItsNameInsertsNothing() throws {
        let fixture = try StoreFixture()
        let first = try fixture.submitJobs(2, name: "nightly-1")
        XCTAssertEqual(try fixture.store.submit(submission(twoJobs, name: "nightly-1")), .alreadySubmitted(first))
        XCTAssertEqual(try fixture.store.counts().total, 2)
    }

    func testTheSameContentUnderANewNameIsANewBatch() throws {
        let fixture = try StoreFixture()
        let first = try fixture.submitJobs(2, name: "nightly-1")
        XCTAssertNil(try fixture.store.earlierSubmission(sha256: SHA256.hex(twoJobs), name: "nightly-2"))
        guard case .inserted(let second) = try fixture.store.submit(submission(twoJobs, name: "nightly-2")) else {
            return XCTFail("the same content under a new name was not inserted")
        }
        XCTAssertEqual(second.name, "nightly-2")
        XCTAssertNotEqual(second.id, first.id)
        XCTAssertEqual(second.sha256, first.sha256)
        XCTAssertEqual(try fixture.store.counts().total, 4)
        // Unnamed, the content is recognised as the latest batch that holds it.
        XCTAssertEqual(try fixture.store.submit(submission(twoJobs, name: nil)), .alreadySubmitted(second))
        XCTAssertEqual(try fixture.store.earlierSubmission(sha256: SHA256.hex(twoJobs), name: "nightly-1"), first)
    }

    func testDerivedNamesGetANumberWhenTaken() throws {
        let fixture = try StoreFixture()
        let a = try fixture.submit([#"{"id": "a", "prompt": "1"}"#], source: "/data/night run.jsonl")
        let b = try fixture.submit([#"{"id": "a", "prompt": "2"}"#], source: "/other/night run.jsonl")
        let c = try fixture.submit([#"{"id": "a", "prompt": "3"}"#], source: "-")
        XCTAssertEqual([a.name, b.name, c.name], ["night-run", "night-run-2", "stdin"])
    }

    func testExplicitNameMustBeFreeAndValid() throws {
        let fixture = try StoreFixture()
        try fixture.submit([#"{"id": "a", "prompt": "1"}"#], name: "nightly")
        XCTAssertThrowsError(try fixture.submit([#"{"id": "a", "prompt": "2"}"#], name: "nightly")) {
            XCTAssertEqual("\($0)", "a batch named nightly already exists; choose another name with --batch")
        }
        for bad in ["", "a/b", "-x", String(repeating: "n", count: 65), "sp ace"] {
            XCTAssertThrowsError(try fixture.submit([#"{"id": "a", "prompt": "3"}"#], name: bad), bad) {
                guard case JobStoreError.invalidBatchName = $0 else { return XCTFail("\($0)") }
            }
        }
        XCTAssertEqual(try fixture.store.counts().total, 1)
    }

    func testEmptySubmissionIsRefused() throws {
        let fixture = try StoreFixture()
        XCTAssertThrowsError(try fixture.store.submit(BatchSubmission(
            name: nil, source: "x", sha256: "0", jobs: [SubmittedJob]()))) {
            guard case JobStoreError.emptySubmission = $0 else { return XCTFail("\($0)") }
        }
    }

    func testSameCustomIDMayAppearInDifferentBatches() throws {
        let fixture = try StoreFixture()
        try fixture.submit([#"{"id": "a", "prompt": "1"}"#], name: "one")
        try fixture.submit([#"{"id": "a", "prompt": "2"}"#], name: "two")
        XCTAssertEqual(try fixture.store.counts().total, 2)
    }

    func testStoresTextWithNULAndUnicodeExactly() throws {
        let fixture = try StoreFixture()
        try fixture.submit([#"{"id": "ü/1", "prompt": "a\u0000b 😀"}"#])
        let job = try fixture.store.job(.customID("ü/1"))
        XCTAssertEqual(try job.decodedRequest().input, .prompt("a\u{0}b 😀"))
    }
}
