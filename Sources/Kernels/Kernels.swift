// Module Kernels: pure numerics (GEMM over packed weights, norms, RoPE, attention, dequantization).
