import CommandLineKit
import Daemon
import Engine
import Foundation
import JobStore
import Kernels
import RequestFormats
import Model

/// `jobs generate [--model M] [--max-tokens N] [--temperature T] [--seed S] ... PROMPT`
///
/// One prompt through the same engine and sampler the daemon uses, streamed to standard output.
struct GenerateCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "generate",
        summary: "generate a completion for one prompt, streamed to standard output",
        discussion: """
            Writes only the generated text to standard output, as it is generated; prompt and
            generated token counts and speed go to standard error. The prompt gets BOS (and EOS)
            only where the model's vocabulary adds them (tokenizer.ggml.add_bos_token,
            add_eos_token), and no chat formatting unless --chat is given (then it is one user message in
            the model's chat format). PROMPT '-' reads the prompt from standard input.
            Sampling defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05; --temperature 0
            is greedy decoding.
            """,
        arguments: [ArgumentSpec(name: "PROMPT", help: "the prompt text, or - for standard input")],
        options: [
            ModelLocation.option,
            OptionSpec(name: "max-tokens", short: "n", valueName: "N", help: "most tokens to generate (default 256)"),
            OptionSpec(name: "temperature", valueName: "T", help: "0 for greedy decoding (default 0.8)"),
            OptionSpec(name: "top-k", valueName: "K", help: "sample among the K most likely tokens, 0 = all (default 40)"),
            OptionSpec(name: "top-p", valueName: "P", help: "nucleus sampling mass (default 0.95)"),
            OptionSpec(name: "min-p", valueName: "P", help: "drop tokens below P × the top probability (default 0.05)"),
            OptionSpec(name: "repetition-penalty", valueName: "R", help: "llama.cpp-style repetition penalty (default 1)"),
            OptionSpec(name: "seed", valueName: "S", help: "random seed; the same seed gives the same text"),
            OptionSpec(name: "stop", valueName: "TEXT", help: "stop before this text (repeatable)", isRepeatable: true),
            KVTypeOption.option,
            OptionSpec(name: "chat", help: "format the prompt as a user message in the model's chat format"),
        ],
        examples: [
            #"jobs generate --temperature 0 --max-tokens 48 "Here is a list of five common fruits:\n1.""#,
            #"echo "Write a haiku about SQLite" | jobs generate --chat -"#,
        ])

    var prompt: String
    var modelOption: String?
    var parameters = SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05)
    var chat: Bool
    var kvPrecision: KVPrecision

    init(_ arguments: ParsedArguments) throws {
        guard let prompt = arguments.positional(0), arguments.positionals.count == 1 else {
            throw CLIError.usage(command: Self.spec.name, message: "give exactly one PROMPT (quote it)")
        }
        self.prompt = prompt
        modelOption = arguments.value("model")
        chat = arguments.flag("chat")
        kvPrecision = try KVTypeOption.parse(arguments, command: Self.spec.name)
        if let n = try arguments.integer("max-tokens", in: 1...1_000_000) { parameters.maxTokens = n }
        if let k = try arguments.integer("top-k", in: 0...1_000_000) { parameters.topK = k }
        func number(_ name: String) throws -> Float? {
            guard let text = arguments.value(name) else { return nil }
            guard let value = Float(text), value.isFinite else {
                throw CLIError.usage(command: Self.spec.name, message: "--\(name) must be a number, got '\(text)'")
            }
            return value
        }
        if let t = try number("temperature") { parameters.temperature = t }
        if let p = try number("top-p") { parameters.topP = p }
        if let p = try number("min-p") { parameters.minP = p }
        if let r = try number("repetition-penalty") { parameters.repetitionPenalty = r }
        if let text = arguments.value("seed") {
            guard let seed = UInt64(text) else {
                throw CLIError.usage(command: Self.spec.name, message: "--seed must be a non-negative integer, got '\(text)'")
            }
            parameters.seed = seed
        }
        parameters.stop = arguments.values("stop")
    }

    func validate() throws {
        do { try parameters.validate() } catch { throw CLIError.usage(command: Self.spec.name, message: "\(error)") }
    }

    func run(_ context: CommandContext) throws {
        let text = prompt == "-" ? String(decoding: try context.console.readInput(), as: UTF8.self) : prompt
        // As `jobs submit` refuses "prompt": "" (a chat message may be empty, there and here).
        if text.isEmpty, !chat {
            throw CLIError.user("the prompt is empty\(prompt == "-" ? " (nothing on standard input)" : ""); "
                + "give the text to continue, or use --chat for an empty user message")
        }
        let loaded = try ModelLocation.load(option: modelOption, environment: context.environment)
        if chat, let note = loaded.chatTemplate?.note { context.errors.line("note: " + TextFormat.visibleLine(note)) }
        let tokens: [Int32]
        do {
            tokens = try GenerationRequestBuilder(model: loaded).promptTokens(
                chat ? .messages([RequestMessage(role: .user, content: text)]) : .prompt(text))
        } catch {
            throw CLIError.user("\(error)")
        }
        // KV memory for this prompt and its tokens only (the context bounds both), not the
        // daemon's pool.
        let layout = loaded.model.kvLayout.with(precision: kvPrecision)
        let positions = min(tokens.count + parameters.maxTokens, loaded.model.contextLength)
        let engine = try Engine(model: loaded.model, tokenizer: loaded.tokenizer, options: EngineOptions(
            maxSequences: 1, maxBatchTokens: 512, kvMemoryBytes: KVSizing.bytes(tokens: positions, layout: layout),
            // Sized for the longest answer -n allows, seldom reached: pages as they are written.
            prefixCaching: false, kvPrecision: kvPrecision, kvResidency: .onFirstWrite))
        do {
            try engine.submit(GenerationRequest(id: 1, promptTokens: tokens, parameters: parameters))
        } catch {
            throw CLIError.user("\(error)")
        }
        var finished: FinishedSequence?
        while finished == nil {
            let report = try engine.step()
            if let delta = report.textDeltas[1] {
                context.output.write(delta)
                context.output.flush()
            }
            finished = report.finished.first
        }
        context.output.line()
        guard let done = finished, let reason = done.finishReason else {
            throw CLIError.user(finished?.error.map { "\($0)" } ?? "generation failed")
        }
        let t = done.timings
        let prefillRate = t.prefillSeconds > 0 ? Double(done.promptTokenCount) / t.prefillSeconds : 0
        context.errors.line("prompt: \(done.promptTokenCount) tokens (\(TextFormat.rate(prefillRate)) tokens/s); "
            + "generated: \(done.completionTokenCount) tokens (\(TextFormat.rate(t.tokensPerSecond)) tokens/s); "
            + "finish: \(reason.rawValue); seed \(done.seed)")
    }
}
