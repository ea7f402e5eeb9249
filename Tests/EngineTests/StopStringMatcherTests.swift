import XCTest
@testable import Engine

final class StopStringMatcherTests: XCTestCase {
    /// Pushes each piece and returns everything emitted, and whether a stop string ended it.
    private func run(_ pieces: [String], stops: [String]) -> (text: String, stopped: Bool) {
        var matcher = StopStringMatcher(stops: stops)
        var text = ""
        for piece in pieces {
            switch matcher.push(piece) {
            case .text(let safe): text += safe
            case .stopped(let before): return (text + before, true)
            }
        }
        return (text + matcher.flush(), false)
    }

    func testStopStringNeverEmitted() {
        XCTAssertEqual(run(["Hello", " wor", "ld", "###", "more"], stops: ["###"]).text, "Hello world")
        XCTAssertTrue(run(["Hello", "###"], stops: ["###"]).stopped)
    }

    func testStopStringSplitAcrossPieces() {
        let result = run(["abc", "<", "/s", ">tail"], stops: ["</s>"])
        XCTAssertEqual(result.text, "abc")
        XCTAssertTrue(result.stopped)
    }

    func testPossibleStartIsHeldBackUntilDecided() {
        var matcher = StopStringMatcher(stops: ["</s>"])
        XCTAssertEqual(matcher.push("abc</"), .text("abc"))
        XCTAssertEqual(matcher.push("x"), .text("</x"), "not a stop string after all: released")
    }

    func testEarliestStopStringWins() {
        let result = run(["one two three"], stops: ["three", "two"])
        XCTAssertEqual(result.text, "one ")
    }

    func testHeldTextIsFlushedWhenGenerationEndsOtherwise() {
        let result = run(["done\n", "\n"], stops: ["\n\n\n"])
        XCTAssertEqual(result.text, "done\n\n")
        XCTAssertFalse(result.stopped)
    }

    func testMultibyteStopString() {
        XCTAssertEqual(run(["naïve ", "café", "!"], stops: ["fé"]).text, "naïve ca")
    }

    func testNoStopStringsPassesTextThrough() {
        var matcher = StopStringMatcher(stops: [])
        XCTAssertEqual(matcher.push("anything"), .text("anything"))
    }
}
