import Foundation
import StructuredOutput

/// One prompt to complete, as the daemon hands it to the engine (already tokenized).
public struct GenerationRequest: Sendable {
    /// The caller's id (the job id); unique among the engine's unfinished requests.
    public var id: Int64
    /// Prompt token ids, including BOS and any chat template tokens.
    public var promptTokens: [Int32]
    public var parameters: SamplingParameters
    /// Higher runs first; among equal priorities, earlier `arrivalTime` runs first.
    public var priority: Int
    /// When the request arrived (e.g. the job's creation time), for ordering only.
    public var arrivalTime: Date
    /// Structured output: every token sampled keeps the output a valid prefix of this format
    /// (the logits of the others are masked before sampling), end tokens are allowed only where
    /// the output may end, and the sequence stops (`stop`) once the value is complete and
    /// nothing can extend it. nil: free text.
    public var outputFormat: CompiledOutputFormat?

    public init(id: Int64, promptTokens: [Int32], parameters: SamplingParameters = SamplingParameters(),
                priority: Int = 0, arrivalTime: Date = Date(), outputFormat: CompiledOutputFormat? = nil) {
        self.outputFormat = outputFormat
        self.id = id
        self.promptTokens = promptTokens
        self.parameters = parameters
        self.priority = priority
        self.arrivalTime = arrivalTime
    }
}
