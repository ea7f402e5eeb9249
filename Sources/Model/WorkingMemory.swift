import GGUF
import KernelInterface
import Kernels

/// The memory a model's forward pass works in besides its weights and KV cache, for batches of
/// up to a given number of tokens and logit rows: what `jobs doctor` states and what the KV
/// pool's start check keeps free beside the pool.
///
/// It grows with the token budget (`--max-batch-tokens`): Qwen2.5 1.5B holds about 140 KiB of
/// activations per token, so 8,192 batch tokens take 1.1 GiB where 512 take 70 MiB.
public enum WorkingMemory {
    /// `TransformerModel.workingMemoryBytes` of the model in `file`, from its header alone
    /// (before the weights load), with int8 activations where this CPU has them; on a CPU no
    /// kernel level runs on, as if it had none (doctor still states a figure there).
    /// - Throws: `ModelError` for an architecture jobs does not run or a header it cannot use.
    public static func estimatedBytes(of file: GGUFFile, tokens: Int, rows: Int,
                                      threads: Int = WorkerPool.shared.threadCount) throws -> Int {
        bytes(configuration: try TransformerModel.configuration(of: file), tokens: tokens, rows: rows,
              threads: threads, int8: WeightMemory.int8DotAvailable)
    }

    /// Bytes for batches of up to `tokens` tokens and `rows` logit rows, sequences up to the
    /// context length, `threads` worker threads:
    /// - the activation and logit buffers (`ForwardBuffers.bytes`);
    /// - with int8 activations, the quantized copy of the widest activation rows (1 byte a
    ///   value and 20 bytes of scales and sums per group of 32, `ActivationRows`), one copy;
    /// - each thread's kernel scratch: the larger of an attention tile's scores at the last
    ///   position of the context (16 queries × the heads of a KV head × context floats) and a
    ///   decoded panel pair (2 × widest row × 64 bytes).
    static func bytes(configuration c: ModelConfiguration, tokens: Int, rows: Int, threads: Int, int8: Bool) -> Int {
        let buffers = ForwardBuffers.bytes(tokens: tokens, rows: rows, configuration: c)
        let widest = max(c.embeddingLength, c.queryDim, c.feedForwardLength)
        let operands = int8 ? max(tokens, 16) * widest + max(tokens, 16) * widest / 32 * 20 : 0
        let scores = 4 * AttentionTile.scoreFloats(queryCount: ForwardPass.tileQueries, groupHeads: c.groupSize,
                                                   lastPosition: c.contextLength - 1)
        let panels = 2 * widest * 64
        return buffers + operands + threads * max(scores, panels)
    }
}
