import Engine
import JobStore
import Foundation
import RequestFormats
import Model
import StructuredOutput
import Tokenizer

/// Turns a claimed job into the engine's request: renders chat messages in the model's turn
/// format, tokenizes, and maps the job's sampling fields.
///
/// Completion prompts are encoded with BOS where the vocabulary asks for it and control-token
/// text left as text (a prompt cannot inject `<end_of_turn>`). Chat prompts are encoded by
/// `ChatPrompt.tokens(using:)`: only the turn markers the chat format writes become control
/// tokens, message content of every role stays text. Limits the engine
/// checks itself (prompt length, parameter ranges) are left to `Engine.submit`.
public struct GenerationRequestBuilder {
    let tokenizer: any Tokenizer
    let chatTemplate: ChatTemplate?
    /// Why `chatTemplate` is nil.
    let chatTemplateProblem: String?
    /// Compiled output formats by schema, shared by every job with the same one.
    let formats = OutputFormatCache()

    public init(model: LoadedModel) {
        tokenizer = model.tokenizer
        chatTemplate = model.chatTemplate
        chatTemplateProblem = model.chatTemplateProblem
    }

    /// Throws `DaemonError` for a chat job the model cannot render, or a schema that does not
    /// compile (refused at submit; only a hand-edited database gets here); that fails the job alone.
    func request(for job: ClaimedJob, _ request: JobRequest) throws(DaemonError) -> GenerationRequest {
        var generation = GenerationRequest(id: job.id, promptTokens: try promptTokens(request.input),
                                           parameters: parameters(request), priority: job.priority)
        if let format = request.responseFormat?.format {
            do {
                generation.outputFormat = try formats.compiled(format)
            } catch {
                throw .invalidOutputFormat(error.description)
            }
        }
        return generation
    }

    /// The requests of choices 1..<n of a job that asked for `n` > 1: the same prompt, each with
    /// its own seed (the job's seed plus the choice's index, so a seeded job is reproducible; a
    /// job without one gets a fresh seed per choice).
    func extraChoices(of first: GenerationRequest, count: Int, jobID: Int64) -> [GenerationRequest] {
        (1..<max(count, 1)).map { index in
            var request = first
            request.id = RunningJob.choiceSequenceID(jobID: jobID, index: index)
            request.parameters.seed = first.parameters.seed.map { $0 &+ UInt64(index) }
            return request
        }
    }

    /// The prompt as the model sees it (`jobs generate` uses this too, so a prompt tokenizes the
    /// same there as in a job).
    public func promptTokens(_ input: JobRequest.Input) throws(DaemonError) -> [Int32] {
        switch input {
        case .prompt(let text):
            return tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        case .messages(let messages):
            guard let chatTemplate else {
                throw .chatFormatUnavailable(problem: chatTemplateProblem ?? "the model has no chat template")
            }
            let prompt: ChatPrompt
            do {
                prompt = try chatTemplate.render(messages.map(GenerationRequestBuilder.templateMessage))
            } catch {
                throw .invalidConversation(error.description)
            }
            return prompt.tokens(using: tokenizer)
        }
    }

    static func templateMessage(_ message: RequestMessage) -> ChatMessage {
        let role: ChatRole
        switch message.role {
        case .system: role = .system
        case .user: role = .user
        case .assistant: role = .assistant
        }
        return ChatMessage(role: role, content: message.content)
    }

    /// The job file's fields, one to one; the seed's bits are kept as they are.
    func parameters(_ request: JobRequest) -> SamplingParameters {
        SamplingParameters(
            temperature: Float(request.temperature), topK: request.topK, topP: Float(request.topP),
            minP: Float(request.minP), repetitionPenalty: Float(request.repetitionPenalty),
            presencePenalty: Float(request.presencePenalty), frequencyPenalty: Float(request.frequencyPenalty),
            seed: request.seed.map { UInt64(bitPattern: $0) }, maxTokens: request.maxTokens, stop: request.stop,
            logprobs: request.logprobs)
    }

    /// Whether the same request always produces the same text: greedy, or seeded. Only such
    /// requests are answered from an earlier result (`--reuse-results`); a request that samples
    /// without a seed asks for a fresh draw each time.
    static func isDeterministic(_ request: JobRequest) -> Bool {
        request.temperature == 0 || request.topK == 1 || request.seed != nil
    }
}
