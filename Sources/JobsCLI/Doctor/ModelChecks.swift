import CommandLineKit
import Engine
import Foundation
import GGUF
import Kernels
import KVCache
import Model

/// `jobs doctor`'s model checks: the file exists and loads as the daemon loads it, and what it
/// will take: parameters, context, weight memory, KV memory per token, and its chat format.
enum ModelChecks {
    struct Outcome {
        var findings: [DoctorFinding]
        /// Bytes of prepared weights; nil when the model did not load.
        var weightBytes: Int?
        /// Bytes jobsd works in beside weights and KV pool (forward pass and runtime); nil
        /// when the file's header does not give them.
        var workingMemory: Int? = nil
    }

    /// `source` says where the path came from: `--model`, `JOBS_MODEL` or `default`.
    /// `canRunKernels` false (the CPU check failed) reads only the file's header.
    /// `maxBatchTokens` and `maxSequences` are jobsd's, which size its working memory.
    static func run(path: String, source: String, canRunKernels: Bool, kvMemory: Int,
                    kvPrecision: KVPrecision = EngineOptions.defaultKVPrecision,
                    maxBatchTokens: Int = EngineOptions().maxBatchTokens,
                    maxSequences: Int = EngineOptions().maxSequences) -> Outcome {
        guard FileManager.default.fileExists(atPath: path) else {
            let fix = source == "default"
                ? "install the default model (Gemma 3 270M, 253 MB) with Scripts/install-model, or give --model PATH or set JOBS_MODEL"
                : "check the path given by \(source), or leave it out to use the default model (Scripts/install-model installs it)"
            return Outcome(findings: [.fail("model", "no model file at \(path) (\(source))", fix: fix)], weightBytes: nil)
        }
        let loadFix = "use a complete llama, qwen2 or gemma3 GGUF file; download it again if it may be cut short "
            + "(Scripts/install-model checks the default model's SHA-256)"
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            return Outcome(findings: [.fail("model", "\(path) (\(source)) is not a usable GGUF file: \(error)", fix: loadFix)],
                           weightBytes: nil)
        }
        let parameters = parameterCount(file.tensors.reduce(0) { $0 + $1.elementCount })
        // Stated before loading, so it is there even when the model does not load here.
        let expectedWeights = WeightMemory.estimatedBytes(of: file)
        // As the engine counts it.
        let largestStep = EngineOptions(maxSequences: maxSequences, maxBatchTokens: maxBatchTokens).largestStep
        let working = (try? WorkingMemory.estimatedBytes(of: file, tokens: largestStep.tokens, rows: largestStep.logitRows))
            .map { $0 + KVBlockStorage.processOverhead }
        let workingText = working.map {
            " + \(ByteCount.format($0)) of working memory (activations and logits for "
                + "\(TextFormat.count(maxBatchTokens, "batch token")) and \(TextFormat.count(maxSequences, "sequence")), "
                + "--max-batch-tokens and --max-seqs; the runtime)"
        } ?? ""
        let resident = DoctorFinding.ok("resident size", "about \(ByteCount.format(expectedWeights + kvMemory + (working ?? 0))) "
            + "once jobsd runs: \(ByteCount.format(expectedWeights)) of weights as loaded (the file is "
            + "\(ByteCount.format(file.fileSize))) + the \(ByteCount.format(kvMemory)) KV pool (--kv-memory), "
            + "made resident as jobsd starts" + workingText)
        guard canRunKernels else {
            return Outcome(findings: [.warn("model", "\(path) (\(source)): \(file.architecture ?? "no architecture"), "
                + "\(parameters) parameters; not loaded, since the decoder's kernels cannot run here (see cpu)",
                fix: "fix what the cpu line says; on a CPU without AVX2, run jobs doctor on the machine that runs jobsd"),
                resident], weightBytes: nil, workingMemory: working)
        }
        let loaded: LoadedModel
        do {
            loaded = try LoadedModel(path: path)
        } catch {
            return Outcome(findings: [.fail("model", "\(path) (\(source)) does not load: \(error)", fix: loadFix), resident],
                           weightBytes: nil)
        }
        let configuration = loaded.model.configuration
        var findings: [DoctorFinding] = [
            .ok("model", "\(path) (\(source)): \(loaded.name), \(configuration.architecture), \(parameters) parameters, "
                + "context \(TextFormat.count(configuration.contextLength)) tokens, loaded in "
                + TextFormat.duration(loaded.model.loadSeconds)),
        ]
        findings.append(resident)
        let layout = configuration.kvLayout().with(blockSize: EngineOptions().blockSize, precision: kvPrecision)
        let perToken = layout.bytesPerToken
        // Whole blocks, as jobsd reserves and counts them (`kv_tokens` on its start line).
        let tokens = layout.tokens(inPoolOf: kvMemory)
        let memory = "\(ByteCount.format(loaded.model.weightBytes)) of weights; \(kvPrecision) KV cache "
            + "\(ByteCount.format(perToken)) per token, so \(ByteCount.format(kvMemory)) holds \(TextFormat.count(tokens, "token")) "
            + "(\(String(format: "%.1f", Double(tokens) / Double(configuration.contextLength))) full contexts)"
        let smallest = layout.minimumBlockCount * layout.bytesPerBlock
        if kvMemory < smallest {
            // jobsd refuses a pool with fewer blocks than one sequence needs (AllocationError.tooSmall).
            let blocks = layout.minimumBlockCount == 1 ? "one KV block of \(ByteCount.format(layout.bytesPerBlock))"
                : "\(layout.minimumBlockCount) KV blocks of \(ByteCount.format(layout.bytesPerBlock)), one for each group of "
                    + "the model's layers"
            findings.append(.fail("model memory", memory + "; jobsd needs at least " + blocks,
                                  fix: "raise --kv-memory to at least \(ByteCount.format(smallest))"))
        } else {
            findings.append(.ok("model memory", memory))
        }
        if let template = loaded.chatTemplate {
            var text = template.format.name + (template.note.map { "; \($0)" } ?? "")
            if let system = template.defaultSystemMessage {
                text += "; a conversation without a system message gets the template's: "
                    + (system.count > 80 ? String(system.prefix(80)) + "…" : system)
            }
            findings.append(.ok("chat format", text))
            for limitation in template.limitations {
                findings.append(.warn("chat template", "chat prompts may differ from llama.cpp's: \(limitation)",
                                      fix: "put what the template would add in the job's own system message, "
                                          + "or submit prompts (/v1/completions) rendered as you need them"))
            }
        } else {
            findings.append(.warn("chat format", "chat jobs will fail: \(loaded.chatTemplateProblem ?? "no chat format")",
                                  fix: "submit prompts (\"prompt\", /v1/completions) instead of messages, or use a model "
                                      + "whose GGUF has a Gemma, Llama 3 or ChatML chat template"))
        }
        return Outcome(findings: findings, weightBytes: loaded.model.weightBytes, workingMemory: working)
    }

    /// `268M`, `1.5B`, `7.6B`, `420k`.
    static func parameterCount(_ count: Int) -> String {
        let value = Double(count)
        if value >= 1e9 { return String(format: "%.1fB", value / 1e9) }
        if value >= 1e7 { return "\(Int((value / 1e6).rounded()))M" }
        if value >= 1e6 { return String(format: "%.1fM", value / 1e6) }
        if value >= 1e3 { return "\(Int((value / 1e3).rounded()))k" }
        return String(count)
    }
}
