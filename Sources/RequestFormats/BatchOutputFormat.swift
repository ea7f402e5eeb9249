import JSON
import JobStore

/// Writes finished jobs as OpenAI Batch API output lines, so tools that read OpenAI's output
/// files read ours:
///
///     {"id": "batch_req_42", "custom_id": "a", "response": {"status_code": 200,
///      "request_id": "req_42", "body": {"id": "cmpl-42", "object": "text_completion",
///      "created": 1764150000, "model": "gemma-3-270m", "choices": [...], "usage": {...}}},
///      "error": null, "jobs_timings": {...}}
///
/// Failed and cancelled jobs have `"response": null` and `"error": {"code", "message"}`. Our
/// measurements sit under the one extra key `jobs_timings` (seconds; see `timingsKey`).
public enum BatchOutputFormat {
    public static let timingsKey = "jobs_timings"

    /// Appends the record's line, newline included, to `output`.
    public static func appendLine(for record: ResultRecord, to output: inout [UInt8]) {
        line(for: record).write(to: &output)
        output.append(UInt8(ascii: "\n"))
    }

    public static func line(for record: ResultRecord) -> JSONValue {
        var members = [
            JSONMember("id", .string("batch_req_\(record.jobID)")),
            JSONMember("custom_id", .string(record.customID)),
        ]
        switch record.outcome {
        case .succeeded(let result, let queueWait, let total):
            members.append(JSONMember("response", .object([
                JSONMember("status_code", .integer(200)),
                JSONMember("request_id", .string("req_\(record.jobID)")),
                JSONMember("body", responseBody(record, result)),
            ])))
            members.append(JSONMember("error", .null))
            var timings = [
                JSONMember("queue_wait_seconds", seconds(queueWait)),
                JSONMember("time_to_first_token_seconds", seconds(result.timings.timeToFirstToken)),
                JSONMember("prefill_seconds", seconds(result.timings.prefill)),
                JSONMember("decode_seconds", seconds(result.timings.decode)),
                JSONMember("total_seconds", seconds(total)),
                JSONMember("tokens_per_second", rounded(result.timings.tokensPerSecond, places: 3)),
                JSONMember("mean_batch_size", rounded(result.timings.meanActiveSequences, places: 3)),
                JSONMember("prefix_tokens_reused", .int(result.timings.prefixTokensReused)),
                JSONMember("attempts", .int(record.attempts)),
            ]
            if let source = result.reusedFromJobID {
                timings.append(JSONMember("reused_from_job_id", .integer(source)))
            }
            members.append(JSONMember(timingsKey, .object(timings)))
        case .unsuccessful(let error):
            let cancelled = record.state == .cancelled
            members.append(JSONMember("response", .null))
            members.append(JSONMember("error", .object([
                JSONMember("code", .string(cancelled ? "job_cancelled" : "job_failed")),
                JSONMember("message", .string(error ?? (cancelled ? "cancelled by a user" : "failed"))),
            ])))
            members.append(JSONMember(timingsKey, .object([
                JSONMember("attempts", .int(record.attempts)),
            ])))
        }
        return .object(members)
    }

    private static func responseBody(_ record: ResultRecord, _ result: JobResult) -> JSONValue {
        if let request = record.responsesRequest.flatMap({ try? JobRequest(canonicalJSON: $0) }) { return responsesBody(record, result, request) }
        let object: String
        let idPrefix: String
        let first = ChoiceResult(text: result.text, finishReason: result.finishReason,
                                 completionTokens: result.firstChoiceTokens, logprobs: result.logprobs)
        let choices: [JSONValue]
        switch record.kind {
        case .completion:
            (object, idPrefix) = ("text_completion", "cmpl")
            choices = ([first] + result.moreChoices).enumerated().map { index, choice in
                .object([
                    JSONMember("index", .int(index)),
                    JSONMember("text", .string(choice.text)),
                    JSONMember("logprobs", choice.logprobs.map(completionLogprobs) ?? .null),
                    JSONMember("finish_reason", .string(choice.finishReason.rawValue)),
                ])
            }
        case .chat:
            (object, idPrefix) = ("chat.completion", "chatcmpl")
            choices = ([first] + result.moreChoices).enumerated().map { index, choice in
                .object([
                    JSONMember("index", .int(index)),
                    // `refusal` is required by OpenAI's ChatCompletionResponseMessage (null: none).
                    JSONMember("message", .object([
                        JSONMember("role", .string("assistant")),
                        JSONMember("content", .string(choice.text)),
                        JSONMember("refusal", .null),
                    ])),
                    JSONMember("logprobs", choice.logprobs.map { entries in
                        .object([JSONMember("content", .array(entries.map(\.chatValue))), JSONMember("refusal", .null)])
                    } ?? .null),
                    JSONMember("finish_reason", .string(choice.finishReason.rawValue)),
                ])
            }
        }
        return .object([
            JSONMember("id", .string("\(idPrefix)-\(record.jobID)")),
            JSONMember("object", .string(object)),
            JSONMember("created", .integer(Int64(record.finishedAt.timeIntervalSince1970))),
            JSONMember("model", .string(result.model)),
            JSONMember("choices", .array(choices)),
            JSONMember("usage", .object([
                JSONMember("prompt_tokens", .int(result.promptTokens)),
                JSONMember("completion_tokens", .int(result.completionTokens)),
                JSONMember("total_tokens", .int(result.promptTokens + result.completionTokens)),
            ])),
        ])
    }

    /// The legacy completions `logprobs` object: per token its text, log-probability, the
    /// alternatives as a text → log-probability map, and its UTF-8 offset in the output text.
    private static func completionLogprobs(_ entries: [ResultLogprob]) -> JSONValue {
        var offset = 0
        var offsets: [JSONValue] = []
        for entry in entries {
            offsets.append(.int(offset))
            offset += entry.bytes.count
        }
        return .object([
            JSONMember("tokens", .array(entries.map { .string($0.token) })),
            JSONMember("token_logprobs", .array(entries.map { .double($0.logprob) })),
            JSONMember("top_logprobs", .array(entries.map { entry in
                var members: [JSONMember] = []
                for alternative in entry.top where !members.contains(where: { $0.key == alternative.token }) {
                    members.append(JSONMember(alternative.token, .double(alternative.logprob)))
                }
                return .object(members)
            })),
            JSONMember("text_offset", .array(offsets)),
        ])
    }

    /// OpenAI's Responses object (`Response` in openai-openapi): one assistant message of
    /// `output_text`, `status` "incomplete" with its reason when the token limit ended it, the
    /// request's sampling fields echoed, and `usage` in input/output tokens (`cached_tokens`:
    /// prompt tokens taken from the prefix cache).
    private static func responsesBody(_ record: ResultRecord, _ result: JobResult, _ request: JobRequest) -> JSONValue {
        let complete = result.finishReason == .stop
        let status = JSONValue.string(complete ? "completed" : "incomplete")
        let created = Int64(record.finishedAt.timeIntervalSince1970)
        let metadata = request.ignoredFields.first { $0.key == "metadata" }?.value ?? .object([])
        return .object([
            JSONMember("id", .string("resp_\(record.jobID)")),
            JSONMember("object", .string("response")),
            JSONMember("created_at", .integer(created)),
            JSONMember("status", status),
            JSONMember("completed_at", complete ? .integer(created) : .null),
            JSONMember("error", .null),
            JSONMember("incomplete_details", complete ? .null : .object([JSONMember("reason", .string("max_output_tokens"))])),
            JSONMember("instructions", .optional(request.responses?.instructions)),
            JSONMember("max_output_tokens", .int(request.maxTokens)),
            JSONMember("model", .string(result.model)),
            JSONMember("output", .array([.object([
                JSONMember("type", .string("message")),
                JSONMember("id", .string("msg_\(record.jobID)")),
                JSONMember("status", status),
                JSONMember("role", .string("assistant")),
                JSONMember("content", .array([.object([
                    JSONMember("type", .string("output_text")),
                    JSONMember("text", .string(result.text)),
                    JSONMember("annotations", .array([])),
                    // OpenAI's LogProb has the shape of ChatCompletionTokenLogprob.
                    JSONMember("logprobs", .array((result.logprobs ?? []).map(\.chatValue))),
                ])])),
            ])])),
            JSONMember("parallel_tool_calls", .bool(true)),
            JSONMember("temperature", .double(request.temperature)),
            JSONMember("tool_choice", .string("auto")),
            JSONMember("tools", .array([])),
            JSONMember("top_p", .double(request.topP)),
            JSONMember("top_logprobs", request.logprobs.map(JSONValue.int) ?? .null),
            JSONMember("metadata", metadata),
            JSONMember("usage", .object([
                JSONMember("input_tokens", .int(result.promptTokens)),
                JSONMember("input_tokens_details", .object([
                    JSONMember("cached_tokens", .int(result.timings.prefixTokensReused)),
                    JSONMember("cache_write_tokens", .integer(0)),
                ])),
                JSONMember("output_tokens", .int(result.completionTokens)),
                JSONMember("output_tokens_details", .object([JSONMember("reasoning_tokens", .integer(0))])),
                JSONMember("total_tokens", .int(result.promptTokens + result.completionTokens)),
            ])),
        ])
    }

    /// Durations to the microsecond: more digits are clock noise.
    private static func seconds(_ value: Double) -> JSONValue { rounded(value, places: 6) }

    private static func rounded(_ value: Double, places: Int) -> JSONValue {
        let scale = pow10(places)
        return .double((value * scale).rounded() / scale)
    }

    private static func pow10(_ n: Int) -> Double {
        (0..<n).reduce(1.0) { product, _ in product * 10 }
    }
}
