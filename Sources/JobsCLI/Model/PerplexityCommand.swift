import CommandLineKit
import Foundation
import Kernels
import Model

/// `jobs perplexity [--model M] [--ctx 512] FILE`
struct PerplexityCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "perplexity",
        summary: "measure the model's perplexity on a text file (llama.cpp's method)",
        discussion: """
            Cuts the tokenized file into non-overlapping windows of --ctx tokens, each from an
            empty cache and starting with BOS when the model adds BOS (tokenizer.ggml.add_bos_token),
            and scores the second half of every window, exactly like llama.cpp's llama-perplexity,
            so the two numbers compare directly. The running estimate
            after each window goes to standard error; the last line of standard output is
            `perplexity: X`.

            --activations f32 keeps activations in f32 for every matrix product, to see what the
            default int8 activations (llama.cpp's way, 2-3x faster) cost in perplexity; --kv-type
            f32 does the same for the default 16-bit KV cache (bf16 with AVX-512 BF16, else f16).
            """,
        arguments: [ArgumentSpec(name: "FILE", help: "a UTF-8 text file")],
        options: [
            ModelLocation.option,
            OptionSpec(name: "ctx", valueName: "N", help: "window size in tokens (default 512)"),
            OptionSpec(name: "activations", valueName: "int8|f32",
                       help: "activations of the matrix products (default int8 where the kernel level has int8 products: AVX2, or AVX-512 with VNNI)"),
            KVTypeOption.option,
        ],
        examples: ["jobs perplexity --ctx 512 /usr/share/common-licenses/GPL-3",
                   "jobs perplexity --activations f32 /usr/share/common-licenses/GPL-3"])

    var file: String
    var modelOption: String?
    var context: Int
    var activations: MatrixActivations
    var kvPrecision: KVPrecision

    init(_ arguments: ParsedArguments) throws {
        guard let file = arguments.positional(0), arguments.positionals.count == 1 else {
            throw CLIError.usage(command: Self.spec.name, message: "give exactly one FILE")
        }
        self.file = file
        modelOption = arguments.value("model")
        context = try arguments.integer("ctx", in: 8...1_048_576) ?? 512
        kvPrecision = try KVTypeOption.parse(arguments, command: Self.spec.name)
        switch arguments.value("activations") {
        case nil, "int8": activations = .int8
        case "f32": activations = .float32
        case let other?:
            throw CLIError.usage(command: Self.spec.name, message: "--activations: expected int8 or f32, got '\(other)'")
        }
    }

    func run(_ context: CommandContext) throws {
        let bytes = try FileReader.read(path: file)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIError.user("\(file) is not valid UTF-8 text")
        }
        let loaded = try ModelLocation.load(option: modelOption, environment: context.environment, activations: activations)
        let evaluator = Perplexity(model: loaded.model, tokenizer: loaded.tokenizer, context: self.context,
                                   kvPrecision: kvPrecision)
        let tokens = evaluator.tokens(of: text)
        context.errors.line("\(file): \(tokens.count) tokens, \(tokens.count / self.context) windows of \(self.context)"
            + (evaluator.windowStartToken == nil ? "" : ", each starting with BOS"))
        let result: Perplexity.Result
        do {
            result = try evaluator.evaluate(tokens) { window, windows, running in
                context.errors.line("[\(window)/\(windows)] \(String(format: "%.4f", running))")
                context.errors.flush()
            }
        } catch let failure as Perplexity.Failure {
            switch failure {
            case let .tooFewTokens(have, need):
                throw CLIError.user("\(file) has \(have) tokens; perplexity needs at least \(need) (two windows of --ctx); "
                    + "use a longer file or a smaller --ctx")
            case let .contextTooLong(requested, model):
                throw CLIError.user("--ctx \(requested) is longer than the model context of \(model) tokens")
            }
        }
        context.output.line("windows: \(result.windows), scored tokens: \(result.scoredTokens), "
            + "\(TextFormat.rate(Double(result.windows * self.context) / result.seconds)) tokens/s, "
            + "\(loaded.model.activations == .int8 ? "int8" : "f32") activations, \(kvPrecision) KV cache")
        context.output.line("perplexity: \(String(format: "%.4f", result.perplexity))")
    }
}
