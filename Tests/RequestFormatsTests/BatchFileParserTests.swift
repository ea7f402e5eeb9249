import TestSupport
import XCTest
import JSON
import JobStore
@testable import RequestFormats

final class BatchFileParserTests: XCTestCase {
    private func problems(_ line: String) -> [String] {
        StoreFixture.parse(line + "\n").problems.map { $0.formatted(file: "f.jsonl") }
    }

    private func assertProblem(_ line: String, _ expected: String,
                               file: StaticString = #filePath, line number: UInt = #line) {
        let found = problems(line)
        XCTAssertTrue(found.contains(expected), "expected \(expected)\n got \(found)",
                      file: file, line: number)
    }

    private func batchLine(body: String, customID: String = #""a""#, method: String = #""POST""#,
                           url: String = #""/v1/completions""#) -> String {
        #"{"custom_id": \#(customID), "method": \#(method), "url": \#(url), "body": \#(body)}"#
    }

    // MARK: Accepted forms

    func testAcceptsOpenAIBatchCompletionLine() throws {
        let file = StoreFixture.parse(batchLine(body: """
            {"model": "gemma", "prompt": "Hi", "max_tokens": 16, "temperature": 0.7, "top_p": 0.9,
             "top_k": 40, "min_p": 0.05, "seed": 7, "stop": ["\\n"], "presence_penalty": 0.5,
             "frequency_penalty": -0.5, "repetition_penalty": 1.1}
            """.replacingOccurrences(of: "\n", with: " ")))
        XCTAssertEqual(file.problems, [])
        XCTAssertEqual(file.jobs.first?.customID, "a")
        XCTAssertEqual(file.jobs.first?.request, JobRequest(
            model: "gemma", input: .prompt("Hi"), maxTokens: 16, temperature: 0.7, topP: 0.9,
            topK: 40, minP: 0.05, seed: 7, stop: ["\n"], presencePenalty: 0.5,
            frequencyPenalty: -0.5, repetitionPenalty: 1.1))
    }

    func testAcceptsOpenAIBatchChatLine() throws {
        let file = StoreFixture.parse(batchLine(
            body: #"{"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}]}"#,
            url: #""/v1/chat/completions""#))
        XCTAssertEqual(file.problems, [])
        XCTAssertEqual(file.jobs.first?.request.input, .messages([
            RequestMessage(role: .system, content: "Be brief."),
            RequestMessage(role: .user, content: "Hi there"),
        ]))
        XCTAssertEqual(file.jobs.first?.request.kind, .chat)
    }

    func testAcceptsShortFormWithDefaults() {
        let file = StoreFixture.parse("""
            {"id": "x", "prompt": "Hello"}
            {"id": 7, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3}
            """)
        XCTAssertEqual(file.problems, [])
        XCTAssertEqual(file.jobs.map(\.customID), ["x", "7"])
        XCTAssertEqual(file.jobs[0].request, JobRequest(input: .prompt("Hello")))
        XCTAssertEqual(file.jobs[0].request.maxTokens, JobRequest.defaultMaxTokens)
        XCTAssertEqual(file.jobs[1].request.maxTokens, 3)
    }

    func testNullMeansAbsentAndHarmlessOpenAIDefaultsAreAccepted() {
        let file = StoreFixture.parse(#"{"id": "a", "prompt": "p", "seed": null, "stop": null, "n": 1, "stream": false}"#)
        XCTAssertEqual(file.problems, [])
        var expected = JobRequest(input: .prompt("p"))
        expected.ignoredFields = [JSONMember("stream", .bool(false))]
        XCTAssertEqual(file.jobs.first?.request, expected)
    }

    func testSkipsBlankLinesButCountsThemInLineNumbers() {
        let file = StoreFixture.parse("\u{FEFF}{\"id\": \"a\", \"prompt\": \"p\"}\r\n\n   \n{\"id\": \"b\", \"prompt\": 5}\n")
        XCTAssertEqual(file.jobs.map(\.line), [1])
        XCTAssertEqual(file.problems.map(\.line), [4])
        XCTAssertEqual(file.nonBlankLineCount, 2)
    }

    // MARK: Each kind of bad line

    func testInvalidJSONNamesLineAndColumn() {
        assertProblem(#"{"id": "a", "prompt": "p",}"#,
                      "f.jsonl:1: invalid JSON: expected a quoted key, found '}' at column 27")
    }

    func testLineThatIsNotAnObject() {
        assertProblem(#"["a"]"#, "f.jsonl:1: each line must be a JSON object, got an array")
    }

    func testNonPositiveMaxTokens() {
        assertProblem(batchLine(body: #"{"prompt": "p", "max_tokens": -5}"#),
                      "f.jsonl:1: body.max_tokens: must be a positive integer, got -5")
        assertProblem(#"{"id": "a", "prompt": "p", "max_tokens": 2.5}"#,
                      "f.jsonl:1: max_tokens: must be a positive integer, got 2.5")
    }

    /// Issue 10, fault 3: integral numbers written with a fraction or an exponent are integers;
    /// refusals quote the value as written and say the range.
    func testIntegralNumbersAreIntegersWhereverAnIntegerIsExpected() throws {
        let file = StoreFixture.parse(batchLine(body: #"{"prompt": "p", "max_tokens": 8.0, "top_k": 4e1, "seed": 7.00}"#))
        XCTAssertEqual(file.problems.map { $0.formatted(file: "f.jsonl") }, [])
        let request = try XCTUnwrap(file.jobs.first?.request)
        XCTAssertEqual(request.maxTokens, 8)
        XCTAssertEqual(request.topK, 40)
        XCTAssertEqual(request.seed, 7)
        XCTAssertEqual(StoreFixture.parse(#"{"id": "a", "prompt": "p", "max_tokens": 8.0}"#).jobs.first?.request.maxTokens, 8)
    }

    func testRefusedNumbersAreQuotedAsWrittenWithTheirRange() {
        assertProblem(batchLine(body: #"{"prompt": "p", "max_tokens": 8.50}"#),
                      "f.jsonl:1: body.max_tokens: must be a positive integer, got 8.50")
        assertProblem(batchLine(body: #"{"prompt": "p", "max_tokens": -2.0}"#),
                      "f.jsonl:1: body.max_tokens: must be a positive integer, got -2.0")
        assertProblem(batchLine(body: #"{"prompt": "p", "max_tokens": 3000000000}"#),
                      "f.jsonl:1: body.max_tokens: must be at most 2147483647, got 3000000000")
        assertProblem(batchLine(body: #"{"prompt": "p", "max_tokens": 1e10}"#),
                      "f.jsonl:1: body.max_tokens: must be at most 2147483647, got 1e10")
        assertProblem(batchLine(body: #"{"prompt": "p", "top_k": 2.5}"#),
                      "f.jsonl:1: body.top_k: must be a non-negative integer (0 turns it off), got 2.5")
        assertProblem(batchLine(body: #"{"prompt": "p", "seed": 18446744073709551615}"#),
                      "f.jsonl:1: body.seed: must be an integer from -9223372036854775808 to 9223372036854775807 "
                      + "(-1: no fixed seed), got 18446744073709551615")
        assertProblem(batchLine(body: #"{"prompt": "p", "seed": 1.5}"#),
                      "f.jsonl:1: body.seed: must be an integer from -9223372036854775808 to 9223372036854775807 "
                      + "(-1: no fixed seed), got 1.5")
        assertProblem(batchLine(body: #"{"prompt": "p", "temperature": 2.50}"#),
                      "f.jsonl:1: body.temperature: must be a number from 0 to 2, got 2.50")
    }

    /// llama.cpp's `seed: -1` is "no fixed seed": the job samples a fresh stream, like no seed.
    func testSeedMinusOneMeansNoFixedSeed() throws {
        let file = StoreFixture.parse("""
            {"id": "a", "prompt": "p", "seed": -1}
            {"id": "b", "prompt": "p", "seed": -1.0}
            {"id": "c", "prompt": "p"}
            {"id": "d", "prompt": "p", "seed": -2}
            {"id": "e", "prompt": "p", "seed": 9223372036854775807}
            """)
        XCTAssertEqual(file.problems.count, 0)
        XCTAssertEqual(file.jobs.map(\.request.seed), [nil, nil, nil, -2, Int64.max])
        XCTAssertEqual(file.jobs[0].request, file.jobs[2].request)
    }

    func testMissingPrompt() {
        assertProblem(#"{"id": "a", "max_tokens": 5}"#,
                      "f.jsonl:1: prompt: missing (give prompt, or messages for a chat)")
        assertProblem(batchLine(body: #"{"model": "m"}"#, url: #""/v1/chat/completions""#),
                      #"f.jsonl:1: body.messages: missing (give an array of {"role", "content"} objects)"#)
        // Null is absent for optional fields; for the input it is said as it is.
        assertProblem(#"{"id": "a", "prompt": null}"#,
                      "f.jsonl:1: prompt: is null; give prompt, or messages for a chat")
        assertProblem(#"{"id": "a", "messages": null}"#,
                      "f.jsonl:1: messages: is null; give prompt, or messages for a chat")
        assertProblem(batchLine(body: #"{"messages": null}"#, url: #""/v1/chat/completions""#),
                      #"f.jsonl:1: body.messages: is null; give an array of {"role", "content"} objects"#)
    }

    func testEmptyAndNonStringPrompts() {
        assertProblem(#"{"id": "a", "prompt": ""}"#, "f.jsonl:1: prompt: must not be empty")
        assertProblem(#"{"id": "a", "prompt": ["x", "y"]}"#,
                      "f.jsonl:1: prompt: must be a string (one prompt per line), got an array")
    }

    func testBadMessageRoleAndContent() {
        let url = #""/v1/chat/completions""#
        assertProblem(batchLine(body: #"{"messages": [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}]}"#, url: url),
                      #"f.jsonl:1: body.messages[1].role: must be one of system, user, assistant, developer, got "robot""#)
        assertProblem(batchLine(body: #"{"messages": [{"content": "a"}]}"#, url: url),
                      "f.jsonl:1: body.messages[0].role: missing (one of system, user, assistant, developer)")
        assertProblem(batchLine(body: #"{"messages": [{"role": "user", "content": 3}]}"#, url: url),
                      #"f.jsonl:1: body.messages[0].content: must be a string, or an array of {"type": "text", "text": "..."} parts, got 3"#)
        assertProblem(batchLine(body: #"{"messages": [{"role": "user", "content": null}]}"#, url: url),
                      #"f.jsonl:1: body.messages[0].content: is null; give the message's text (a string, or an array of {"type": "text", "text": "..."} parts)"#)
        assertProblem(batchLine(body: #"{"messages": [{"role": "user", "content": [{"type": "text", "text": null}]}]}"#, url: url),
                      "f.jsonl:1: body.messages[0].content[0].text: must be a string, got null")
        assertProblem(batchLine(body: #"{"messages": [{"role": "user"}]}"#, url: url),
                      #"f.jsonl:1: body.messages[0].content: missing (a string, or an array of {"type": "text", "text": "..."} parts)"#)
        assertProblem(batchLine(body: #"{"messages": []}"#, url: url),
                      #"f.jsonl:1: body.messages: must be a non-empty array of {"role", "content"} objects, got an empty array"#)
        assertProblem(batchLine(body: #"{"messages": [{"role": "user", "content": "a", "nme": "bob"}]}"#, url: url),
                      "f.jsonl:1: body.messages[0].nme: unknown field (did you mean name?)")
        assertProblem(batchLine(body: #"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}"#, url: url),
                      #"f.jsonl:1: body.messages[0].content[0]: only {"type": "text", "text": "..."} parts are supported"#)
    }

    func testUnsupportedURL() {
        assertProblem(batchLine(body: #"{"input": "x"}"#, url: #""/v1/moderations""#),
                      #"f.jsonl:1: url: must be "/v1/completions", "/v1/chat/completions" or "/v1/responses", got "/v1/moderations""#)
    }

    func testURLAndBodyMustAgree() {
        assertProblem(batchLine(body: #"{"messages": [{"role": "user", "content": "a"}]}"#),
                      "f.jsonl:1: body.messages: /v1/completions takes a prompt; use url /v1/chat/completions for messages")
        assertProblem(batchLine(body: #"{"prompt": "a"}"#, url: #""/v1/chat/completions""#),
                      "f.jsonl:1: body.prompt: /v1/chat/completions takes messages; use url /v1/completions for a prompt")
    }

    func testMethodMustBePOST() {
        assertProblem(batchLine(body: #"{"prompt": "p"}"#, method: #""GET""#),
                      #"f.jsonl:1: method: must be "POST", got "GET""#)
    }

    func testMissingOrEmptyIDs() {
        assertProblem(batchLine(body: #"{"prompt": "p"}"#, customID: #""""#),
                      #"f.jsonl:1: custom_id: must be a non-empty string, got """#)
        assertProblem(#"{"prompt": "p"}"#, "f.jsonl:1: id: missing; every line needs a unique id")
        assertProblem(batchLine(body: #"{"prompt": "p"}"#, customID: "3"),
                      "f.jsonl:1: custom_id: must be a non-empty string, got 3")
    }

    func testSamplingParametersOutOfRange() {
        let cases: [(String, String)] = [
            (#""temperature": 3"#, "temperature: must be a number from 0 to 2, got 3"),
            (#""temperature": -0.1"#, "temperature: must be a number from 0 to 2, got -0.1"),
            (#""temperature": "hot""#, #"temperature: must be a number from 0 to 2, got "hot""#),
            (#""top_p": 0"#, "top_p: must be a number greater than 0 and at most 1, got 0"),
            (#""top_p": 1.5"#, "top_p: must be a number greater than 0 and at most 1, got 1.5"),
            (#""top_k": -1"#, "top_k: must be a non-negative integer (0 turns it off), got -1"),
            (#""min_p": 2"#, "min_p: must be a number from 0 to 1, got 2"),
            (#""seed": "7""#, #"seed: must be an integer from -9223372036854775808 to 9223372036854775807 (-1: no fixed seed), got "7""#),
            (#""presence_penalty": 3"#, "presence_penalty: must be a number from -2 to 2, got 3"),
            (#""frequency_penalty": -3"#, "frequency_penalty: must be a number from -2 to 2, got -3"),
            (#""repetition_penalty": 0"#, "repetition_penalty: must be a positive number (1 turns it off), got 0"),
            (#""model": """#, #"model: must be a non-empty string, got """#),
        ]
        for (field, expected) in cases {
            assertProblem(#"{"id": "a", "prompt": "p", \#(field)}"#, "f.jsonl:1: " + expected)
        }
    }

    func testStopSequences() {
        assertProblem(#"{"id": "a", "prompt": "p", "stop": ["a", "b", "c", "d", "e"]}"#,
                      "f.jsonl:1: stop: has 5 strings; at most 4 are allowed")
        assertProblem(#"{"id": "a", "prompt": "p", "stop": ["a", ""]}"#,
                      "f.jsonl:1: stop[1]: must not be an empty string")
        assertProblem(#"{"id": "a", "prompt": "p", "stop": ""}"#,
                      "f.jsonl:1: stop: must not be an empty string")
        assertProblem(#"{"id": "a", "prompt": "p", "stop": 5}"#,
                      "f.jsonl:1: stop: must be a string or an array of at most 4 strings, got 5")
        let file = StoreFixture.parse(#"{"id": "a", "prompt": "p", "stop": "END"}"#)
        XCTAssertEqual(file.jobs.first?.request.stop, ["END"])
    }

    func testUnknownFieldsAreRefusedWithAHint() {
        assertProblem(#"{"id": "a", "prompt": "p", "max_token": 5}"#,
                      "f.jsonl:1: max_token: unknown field (did you mean max_tokens?)")
        assertProblem(#"{"id": "a", "prompt": "p", "colour": "red"}"#,
                      "f.jsonl:1: colour: unknown field; allowed: model, prompt, messages, max_tokens, max_completion_tokens, temperature, top_p, top_k, min_p, seed, stop, presence_penalty, frequency_penalty, repetition_penalty, logprobs, top_logprobs, n, response_format, id")
        assertProblem(#"{"custom_id": "a", "method": "POST", "url": "/v1/completions", "body": {"prompt": "p"}, "max_tokens": 5}"#,
                      "f.jsonl:1: max_tokens: belongs inside body in the OpenAI Batch format")
        assertProblem(#"{"custom_id": "a", "method": "POST", "url": "/v1/completions", "bdy": {"prompt": "p"}, "body": {"prompt": "p"}}"#,
                      "f.jsonl:1: bdy: unknown field (did you mean body?)")
    }

    func testReportsEveryProblemOfALine() {
        let found = problems(#"{"id": "a", "prompt": "p", "max_tokens": 0, "temperature": 9}"#)
        XCTAssertEqual(found, [
            "f.jsonl:1: max_tokens: must be a positive integer, got 0",
            "f.jsonl:1: temperature: must be a number from 0 to 2, got 9",
        ])
    }

    func testDuplicateIDsNameTheFirstLine() {
        let file = StoreFixture.parse("""
            {"id": "a", "prompt": "one"}
            {"id": "b", "prompt": "two"}
            {"id": "a", "prompt": "three"}
            """)
        XCTAssertEqual(file.problems.map { $0.formatted(file: "f.jsonl") },
                       [#"f.jsonl:3: id: duplicate id "a" (first used on line 1)"#])
        XCTAssertEqual(file.jobs.map(\.customID), ["a", "b"])
        XCTAssertEqual(file.invalidLineCount, 1)
    }

    func testEveryBadLineIsReportedNotJustTheFirst() {
        let file = StoreFixture.parse("""
            {"id": "a", "prompt": "ok"}
            not json
            {"id": "c"}
            {"id": "d", "prompt": "ok"}
            {"id": "e", "prompt": "p", "top_p": 5}
            """)
        XCTAssertEqual(file.problems.map(\.line), [2, 3, 5])
        XCTAssertEqual(file.jobs.map(\.customID), ["a", "d"])
    }

    // MARK: Canonical form

    func testCanonicalJSONRoundTripsAndHashIgnoresSpelling() throws {
        let a = StoreFixture.parse(#"{"id": "a", "prompt": "p", "temperature": 1, "stop": "x"}"#).jobs[0].request
        let b = StoreFixture.parse(#"{"id": "b", "prompt": "p", "stop": ["x"], "top_p": 1.0}"#).jobs[0].request
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hash, b.hash)
        XCTAssertEqual(try JobRequest(canonicalJSON: a.canonicalJSON), a)
        let seeded = JobRequest(input: .prompt("p"), seed: 1, stop: ["x"])
        XCTAssertNotEqual(seeded.hash, a.hash)
        XCTAssertEqual(a.canonicalJSON, #"{"prompt":"p","max_tokens":256,"temperature":1,"top_p":1,"top_k":0,"min_p":0,"stop":["x"],"presence_penalty":0,"frequency_penalty":0,"repetition_penalty":1}"#)
    }

    // MARK: OpenAI's current request fields (issue 10, fault 2)

    private let chatURL = #""/v1/chat/completions""#

    private func assertProblemStarts(_ line: String, _ expected: String,
                                     file: StaticString = #filePath, line number: UInt = #line) {
        let found = problems(line)
        XCTAssertTrue(found.contains { $0.hasPrefix(expected) }, "expected \(expected)…\n got \(found)",
                      file: file, line: number)
    }

    func testCurrentFieldsThatChangeNothingAreAcceptedAndRecorded() throws {
        let body = #"{"model": "gpt-4o-mini", "messages": [{"role": "developer", "content": "Be brief."}, "#
            + #"{"role": "user", "content": "Hi", "name": "ann"}, {"role": "assistant", "content": "Hello", "refusal": null}, "#
            + #"{"role": "user", "content": [{"type": "text", "text": "Fruit?"}]}], "max_completion_tokens": 12, "#
            + #""user": "u-1", "logprobs": false, "store": true, "metadata": {"team": "docs"}, "service_tier": "auto", "#
            + #""prompt_cache_key": "k", "safety_identifier": "s", "parallel_tool_calls": true, "stream": false, "#
            + #""stream_options": {"include_usage": true}, "n": 1, "response_format": {"type": "text"}, "tools": [], "#
            + #""logit_bias": {}, "top_logprobs": 0, "tool_choice": "none", "modalities": ["text"], "seed": 3}"#
        let file = StoreFixture.parse(batchLine(body: body, url: chatURL))
        XCTAssertEqual(file.problems.map { $0.formatted(file: "f.jsonl") }, [])
        let request = try XCTUnwrap(file.jobs.first?.request)
        XCTAssertEqual(request.maxTokens, 12)
        XCTAssertEqual(request.input, .messages([
            RequestMessage(role: .system, content: "Be brief."), RequestMessage(role: .user, content: "Hi"),
            RequestMessage(role: .assistant, content: "Hello"), RequestMessage(role: .user, content: "Fruit?"),
        ]))
        XCTAssertEqual(request.ignoredFields.map(\.key), [
            "user", "store", "metadata", "service_tier", "prompt_cache_key",
            "safety_identifier", "parallel_tool_calls", "stream", "stream_options", "response_format", "tools",
            "logit_bias", "tool_choice", "modalities", "messages[1].name", "logprobs", "top_logprobs",
        ])
        XCTAssertEqual(request.ignoredFields.first { $0.key == "metadata" }?.value,
                       .object([JSONMember("team", .string("docs"))]))
        // Stored with the job, but not part of what result reuse matches on.
        let stored = try JobRequest(canonicalJSON: request.canonicalJSON)
        XCTAssertEqual(stored, request)
        var bare = request
        bare.ignoredFields = []
        XCTAssertEqual(bare.hash, request.hash)
        XCTAssertNotEqual(bare.canonicalJSON, request.canonicalJSON)
    }

    func testMaxCompletionTokensIsTheCurrentNameOfMaxTokens() throws {
        let both = StoreFixture.parse(batchLine(body: #"{"prompt": "p", "max_tokens": 9, "max_completion_tokens": 9.0}"#))
        XCTAssertEqual(both.jobs.first?.request.maxTokens, 9)
        assertProblem(batchLine(body: #"{"prompt": "p", "max_tokens": 9, "max_completion_tokens": 5}"#),
                      "f.jsonl:1: body.max_completion_tokens: is 5 but max_tokens is 9; give one of them")
        assertProblem(batchLine(body: #"{"prompt": "p", "max_completion_tokens": 0}"#),
                      "f.jsonl:1: body.max_completion_tokens: must be a positive integer, got 0")
    }

    func testFieldsThatWouldChangeTheAnswerAreRefusedClearly() {
        let cases: [(String, String)] = [
            (#""tools": [{"type": "function", "function": {"name": "f"}}]"#, "tools: not supported: tool calls are not supported; remove tools"),
            (#""tool_choice": "required""#, "tool_choice: not supported: tool calls are not supported; remove tool_choice"),
            (#""logit_bias": {"50256": -100}"#, "logit_bias: not supported: token biases are not applied; remove logit_bias"),
            (#""response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "integer", "multipleOf": 2}}}"#,
             #"response_format.json_schema.schema: "multipleOf" is not supported"#),
            (#""top_logprobs": 3"#, #"top_logprobs: needs "logprobs": true, got 3 without it"#),
            (#""logprobs": true, "top_logprobs": 21"#, "top_logprobs: must be at most 20, got 21"),
            (#""logprobs": 2"#, "logprobs: must be true or false, got 2"),
            (#""n": 17"#, "n: must be at most 16, got 17"),
            (#""n": 0"#, "n: must be an integer from 1 to 16 (the answers to generate), got 0"),
            (#""stream": true"#, "stream: not supported: results are stored, not streamed"),
            (#""audio": {"voice": "alloy"}"#, "audio: not supported"),
            (#""reasoning_effort": "low""#, "reasoning_effort: not supported"),
            (#""functions": [{"name": "f"}]"#, "functions: not supported"),
        ]
        for (field, expected) in cases {
            assertProblemStarts(batchLine(body: #"{"messages": [{"role": "user", "content": "x"}], \#(field)}"#, url: chatURL),
                          "f.jsonl:1: body." + expected)
        }
        assertProblemStarts(batchLine(body: #"{"prompt": "p", "echo": true}"#), "f.jsonl:1: body.echo: not supported")
        assertProblemStarts(batchLine(body: #"{"prompt": "p", "suffix": "end"}"#), "f.jsonl:1: body.suffix: not supported")
        assertProblemStarts(batchLine(body: #"{"prompt": "p", "best_of": 2}"#), "f.jsonl:1: body.best_of: not supported")
        assertProblemStarts(batchLine(body: #"{"messages": [{"role": "tool", "content": "42", "tool_call_id": "c"}]}"#, url: chatURL),
                      "f.jsonl:1: body.messages[0].role: tool messages answer tool calls, which are not supported; remove this message")
        assertProblemStarts(batchLine(body: #"{"messages": [{"role": "assistant", "content": "x", "tool_calls": [{"id": "c"}]}]}"#, url: chatURL),
                      "f.jsonl:1: body.messages[0].tool_calls: not supported: tool calls are not supported; remove tool_calls")
    }

    func testEmbeddingsLinesAreRefusedNamingTheEndpoint() {
        assertProblem(batchLine(body: #"{"model": "text-embedding-3-small", "input": "hello"}"#, url: #""/v1/embeddings""#),
                      "f.jsonl:1: url: /v1/embeddings is not supported: the models run here generate text and make no "
                      + "embeddings; send embedding lines to a service that makes them")
        XCTAssertEqual(problems(batchLine(body: #"{"model": "m", "input": ["a", "b"]}"#, url: #""/v1/embeddings""#)).count, 1,
                       "only the url is reported")
    }

    // MARK: /v1/responses

    private let responsesURL = #""/v1/responses""#

    func testResponsesLinesBecomeChatJobsThatRememberTheirShape() throws {
        let body = #"{"model": "gpt-4.1-mini", "instructions": "Answer in one sentence.", "#
            + #""input": [{"role": "developer", "content": "Be kind."}, {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi "}, {"type": "input_text", "text": "there"}]}, "#
            + #"{"role": "assistant", "content": [{"type": "output_text", "text": "Hello."}]}, {"role": "user", "content": "Why?"}], "#
            + #""max_output_tokens": 40.0, "temperature": 0.2, "top_p": 0.9, "store": false, "text": {"format": {"type": "text"}}, "#
            + #""truncation": "disabled", "metadata": {"k": "v"}, "reasoning": null}"#
        let file = StoreFixture.parse(batchLine(body: body, url: responsesURL))
        XCTAssertEqual(file.problems.map { $0.formatted(file: "f.jsonl") }, [])
        let request = try XCTUnwrap(file.jobs.first?.request)
        XCTAssertEqual(request.kind, .chat)
        XCTAssertEqual(request.input, .messages([
            RequestMessage(role: .system, content: "Answer in one sentence.\n\nBe kind."),
            RequestMessage(role: .user, content: "Hi there"), RequestMessage(role: .assistant, content: "Hello."),
            RequestMessage(role: .user, content: "Why?"),
        ]))
        XCTAssertEqual(request.maxTokens, 40)
        XCTAssertEqual(request.temperature, 0.2)
        XCTAssertEqual(request.topP, 0.9)
        XCTAssertEqual(request.responses, ResponsesRequest(instructions: "Answer in one sentence."))
        XCTAssertEqual(request.ignoredFields.map(\.key), ["text", "truncation", "store", "metadata"])
        XCTAssertEqual(try JobRequest(canonicalJSON: request.canonicalJSON), request)

        let plain = try XCTUnwrap(StoreFixture.parse(batchLine(body: #"{"input": "Tell me a joke"}"#, url: responsesURL)).jobs.first?.request)
        XCTAssertEqual(plain.input, .messages([RequestMessage(role: .user, content: "Tell me a joke")]))
        XCTAssertEqual(plain.responses, ResponsesRequest())
    }

    func testResponsesFieldsThatCannotBeFollowedAreRefused() {
        let cases: [(String, String)] = [
            (#""input": "x", "previous_response_id": "resp_1""#, "body.previous_response_id: not supported: responses are not stored"),
            (#""input": "x", "text": {"format": {"type": "json_schema", "name": "s", "schema": {"properties": {"a": {"not": {}}}}}}"#,
             #"body.text.format.schema/properties/a: "not" is not supported"#),
            (#""input": "x", "reasoning": {"effort": "low"}"#, "body.reasoning: not supported"),
            (#""input": "x", "tools": [{"type": "web_search"}]"#, "body.tools: not supported: tool calls are not supported"),
            (#""input": "x", "max_tokens": 5"#, "body.max_tokens: not supported: the Responses API names it max_output_tokens"),
            (#""messages": [{"role": "user", "content": "x"}]"#, "body.messages: not supported: the Responses API takes input"),
            (#""input": [{"type": "function_call_output", "call_id": "c", "output": "1"}]"#, "body.input[0].type: only message items are supported"),
            (#""input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]"#, "body.input[0].content[0]: only {\"type\": \"input_text\""),
            (#""input": """#, "body.input: must be a non-empty string"),
            (#""model": "m""#, "body.input: missing"),
            (#""input": "x", "max_output_tokens": 0"#, "body.max_output_tokens: must be a positive integer, got 0"),
        ]
        for (fields, expected) in cases {
            let found = problems(batchLine(body: "{\(fields)}", url: responsesURL))
            XCTAssertTrue(found.contains { $0.hasPrefix("f.jsonl:1: " + expected) }, "expected \(expected)…\n got \(found)")
        }
    }

    // MARK: logprobs

    func testLogprobsAreReadInEachEndpointsOwnShape() throws {
        let chat = StoreFixture.parse(batchLine(body: #"{"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 3.0}"#,
                                                url: chatURL))
        XCTAssertEqual(chat.problems.map { $0.formatted(file: "f.jsonl") }, [])
        let chatRequest = try XCTUnwrap(chat.jobs.first?.request)
        XCTAssertEqual(chatRequest.logprobs, 3)
        XCTAssertEqual(try JobRequest(canonicalJSON: chatRequest.canonicalJSON), chatRequest)
        XCTAssertEqual(StoreFixture.parse(batchLine(body: #"{"messages": [{"role": "user", "content": "x"}], "logprobs": true}"#,
                                                    url: chatURL)).jobs.first?.request.logprobs, 0)
        let completion = try XCTUnwrap(StoreFixture.parse(batchLine(body: #"{"prompt": "p", "logprobs": 5}"#)).jobs.first?.request)
        XCTAssertEqual(completion.logprobs, 5)
        XCTAssertEqual(try JobRequest(canonicalJSON: completion.canonicalJSON), completion)
        XCTAssertNotEqual(completion.hash, JobRequest(input: .prompt("p")).hash, "a result without logprobs cannot answer it")
        XCTAssertEqual(JobRequest(input: .prompt("p")).canonicalJSON.contains("logprobs"), false)
        assertProblem(batchLine(body: #"{"prompt": "p", "logprobs": 6}"#),
                      "f.jsonl:1: body.logprobs: must be at most 5, got 6")
        assertProblem(batchLine(body: #"{"prompt": "p", "logprobs": -1}"#),
                      "f.jsonl:1: body.logprobs: must be an integer from 0 to 5 (the alternatives to list per token), got -1")
        assertProblem(batchLine(body: #"{"prompt": "p", "top_logprobs": 2}"#),
                      "f.jsonl:1: body.top_logprobs: /v1/completions takes logprobs (0 to 5 alternatives); use url /v1/chat/completions for top_logprobs")
    }

    func testNIsTheNumberOfChoices() throws {
        let request = try XCTUnwrap(StoreFixture.parse(batchLine(body: #"{"prompt": "p", "n": 3.0, "seed": 5}"#)).jobs.first?.request)
        XCTAssertEqual(request.choices, 3)
        XCTAssertEqual(try JobRequest(canonicalJSON: request.canonicalJSON), request)
        var one = request
        one.choices = 1
        XCTAssertNotEqual(one.hash, request.hash)
        XCTAssertFalse(one.canonicalJSON.contains("\"n\""), "n = 1 leaves the stored form as it was")
        assertProblem(batchLine(body: #"{"input": "x", "n": 2}"#, url: responsesURL),
                      "f.jsonl:1: body.n: not supported: the Responses API gives one answer; use url /v1/chat/completions for n")
    }
}
