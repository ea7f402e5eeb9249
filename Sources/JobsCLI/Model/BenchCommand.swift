import CommandLineKit
import Engine
import Foundation
import JobStore
import RequestFormats
import Kernels
import Model

/// `jobs bench [--model M] [--prompts FILE] ...`: the decoder and engine benchmarks.
///
/// Every figure that matters is a ratio measured in the same run (batched against sequential,
/// prefix cache on against off, our GEMM against OpenBLAS), because this kind of machine is
/// noisy from one minute to the next.
struct BenchCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "bench",
        summary: "measure decoder and engine speed on a model",
        discussion: """
            Sections (all by default, or the ones named with --only):
              decoder  one sequence: tokens/s of a 128-token prefill and of a 128-token greedy
                       decode, and peak RSS
              gemm     our batch-invariant GEMM, with int8 and with f32 activations, against
                       OpenBLAS sgemm on an FFN-sized matrix; then the same shape kept in
                       Q4_0, Q4_K, Q5_K and Q6_K blocks (as a model's weights are), 1-64 rows
              engine   the prompts of --prompts (default Samples/bench-prompts-64.jsonl),
                       --max-tokens each (EOS ignored), run with --max-seqs 1, 4, 16 and 64:
                       generated tokens/s, ratio to --max-seqs 1, mean step time split into
                       the forward pass without attention, attention, sampling and
                       scheduling, peak RSS
              prefix   the same prompts behind one shared 256-token prefix, at the largest
                       --seqs value, with the prefix cache on and off
              structured  the same prompts asked for a JSON record, at the largest --seqs
                       value, unconstrained and with every job under one 7-field schema,
                       greedy and top-p: tokens/s overall and at full batch, their ratio,
                       mask time per step
            Build with `swift build -c release` first: debug builds are not representative.
            """,
        options: [
            ModelLocation.option,
            OptionSpec(name: "prompts", valueName: "FILE", help: "JSONL prompts (default Samples/bench-prompts-64.jsonl)"),
            OptionSpec(name: "max-tokens", valueName: "N", help: "tokens generated per prompt (default 128)"),
            OptionSpec(name: "seqs", valueName: "LIST", help: "--max-seqs values to compare (default 1,4,16,64)"),
            OptionSpec(name: "only", valueName: "LIST", help: "sections to run: decoder,gemm,engine,prefix,structured"),
            KVTypeOption.option,
            OptionSpec(name: "limit", valueName: "N", help: "use only the first N prompts"),
        ],
        examples: ["swift build -c release && .build/release/jobs bench",
                   "jobs bench --only engine --seqs 1,16"])

    static let sections = ["decoder", "gemm", "engine", "prefix", "structured"]

    var modelOption: String?
    var promptsPath: String
    var maxTokens: Int
    var sequenceCounts: [Int]
    var sections: [String]
    var limit: Int?
    var kvPrecision: KVPrecision

    init(_ arguments: ParsedArguments) throws {
        modelOption = arguments.value("model")
        promptsPath = arguments.value("prompts") ?? "Samples/bench-prompts-64.jsonl"
        maxTokens = try arguments.integer("max-tokens", in: 1...100_000) ?? 128
        limit = try arguments.integer("limit", in: 1...1_000_000)
        kvPrecision = try KVTypeOption.parse(arguments, command: Self.spec.name)
        func list(_ name: String) -> [String]? {
            arguments.value(name).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        let counts = list("seqs") ?? ["1", "4", "16", "64"]
        sequenceCounts = try counts.map {
            guard let n = Int($0), n >= 1 else {
                throw CLIError.usage(command: Self.spec.name, message: "--seqs takes positive integers, got '\($0)'")
            }
            return n
        }
        sections = list("only") ?? Self.sections
        for section in sections where !Self.sections.contains(section) {
            throw CLIError.usage(command: Self.spec.name,
                                 message: "unknown section '\(section)'; sections: \(Self.sections.joined(separator: ", "))")
        }
    }

    func run(_ context: CommandContext) throws {
        // The prompts first: a wrong --prompts should not cost a model load.
        var prompts: [String] = []
        if sections.contains("engine") || sections.contains("prefix") || sections.contains("structured") {
            prompts = try BenchmarkPrompts.load(path: promptsPath)
            if let limit { prompts = Array(prompts.prefix(limit)) }
        }
        let loaded = try ModelLocation.load(option: modelOption, environment: context.environment)
        let out = context.output
        let c = loaded.model.configuration
        let path = try ModelLocation.resolve(option: modelOption, environment: context.environment)
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        let weights = loaded.model.weightBytes
        // Resident weights against the file: about 1 where integer blocks keep their bits.
        let ratio = fileBytes.map { " (" + String(format: "%.3f", Double(weights) / Double($0)) + "× the \(ByteCount.format($0)) file)" } ?? ""
        out.line("model: \(loaded.name) (\(c.architecture), \(c.layerCount) layers, vocabulary \(c.vocabularySize)), "
            + "weights \(ByteCount.format(weights)) in memory\(ratio), loaded in \(TextFormat.duration(loaded.model.loadSeconds))")
        let level = try KernelLevel.selected.get()
        let int8 = level == .avx512 ? "int8 activations (AVX-512 VNNI)" : "int8 activations (AVX2 vpmaddubsw)"
        out.line("threads: \(Kernels.WorkerPool.shared.threadCount), kernels: \(level), "
            + "\(loaded.model.activations == .int8 ? int8 : "f32 activations")")
        out.flush()
        out.line("KV cache: \(kvPrecision)")
        let benchmark = Benchmark(loaded: loaded, output: out, kvPrecision: kvPrecision)
        if sections.contains("decoder") { try benchmark.decoder() }
        if sections.contains("gemm") { benchmark.gemm() }
        if sections.contains("engine") {
            try benchmark.engine(prompts: prompts, maxTokens: maxTokens, sequenceCounts: sequenceCounts)
        }
        if sections.contains("prefix") {
            try benchmark.sharedPrefix(prompts: prompts, maxTokens: maxTokens, sequences: sequenceCounts.max() ?? 64)
        }
        if sections.contains("structured") {
            try benchmark.structured(prompts: prompts, maxTokens: maxTokens, sequences: sequenceCounts.max() ?? 64)
        }
    }
}

/// The prompt texts of a bench file (short-form or OpenAI Batch lines, as `jobs submit` reads).
enum BenchmarkPrompts {
    static func load(path: String) throws -> [String] {
        let bytes = try FileReader.read(path: path)
        let parsed = bytes.withUnsafeBufferPointer { BatchFileParser.parse($0) }
        if let problem = parsed.problems.first {
            throw CLIError.user(problem.formatted(file: path))
        }
        guard !parsed.jobs.isEmpty else { throw CLIError.user("\(path) holds no prompts") }
        return parsed.jobs.map { job in
            switch job.request.input {
            case .prompt(let text): return text
            case .messages(let messages): return messages.map(\.content).joined(separator: "\n")
            }
        }
    }
}
