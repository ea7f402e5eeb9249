#!/usr/bin/env python3
"""A plain numpy reference forward pass for GGUF decoders of the families llama, qwen2, qwen3, phi3
and gemma3.

It follows llama.cpp's graphs (src/models/llama.cpp, qwen2.cpp, qwen3.cpp, phi3.cpp, gemma3.cpp) as
described in
shared/notes/gemma3-gguf-facts.md sections 4 and 5, and exists to check a faster decoder against
an independent, readable one. Weights are the exact values ggml dequantizes to (gguf.quants);
every activation is float64, so the result is the model's ideal output, not llama.cpp's (which
quantizes activations to Q8 and keeps an F16 KV cache). No KV cache and no batching: the whole
prompt is one matrix [n_tokens, n_embd] and attention is a masked [n_tokens, n_tokens] softmax.

usage: reference_forward.py MODEL.gguf --tokens 2,10,20 [--all] [--top K] [--int8-activations]

With --int8-activations, the input rows of every product with integer-quantized weights are first
rounded per group of 32 to round(x / s) * s, s = max|x| / 127 (ties away from zero): what our
decoder does with int8 activations, and close to ggml's Q8_0/Q8_K activations. As in our decoder,
not when the tensors stacked into one matrix (Q/K/V, gate/up) mix Q6_K's groups of 16 with a type
that has offsets (Q4_1, Q5_1, Q4_K, Q5_K), nor for a width that is not a multiple of 32.

With --taps, the JSON also holds {"taps": {"l_out": [[[...] per token] per layer]}}: the residual
stream after every layer, for every token.

Prints JSON on stdout. Without --top: {"logits": [[v0, v1, ...], ...]}, one full vocabulary row
for the last token, or for every token with --all. With --top K: {"top": [[[id, logit], ...], ...]}
with the K highest logits per row, highest first. Tokens sit at positions 0, 1, 2, ...

Checked: on gemma-3-270m-q4_k_m.gguf, tokens 2,818,5279,529,7001,563 ("The capital of France is")
give the top logits of gemma3-gguf-facts.md section 7 (506 '▁the' 19.0915, 496 '▁a' 18.5476, ...).
Tests/ModelTests/ReferenceForwardTests.swift runs it against our decoder on tiny models.

Requires: pip install numpy gguf
"""
import argparse
import json
import sys

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize


class ModelFileError(Exception):
    """A model file this reference cannot run; the message names the file and the key or tensor."""


# ----------------------------------------------------------------------------------------------
# The model file: hyperparameters and dequantized weights

REQUIRED = object()  # Model.meta's default: the key must be present


class Model:
    """Hyperparameters and weights of one GGUF file. Matrices are [rows = ne1, columns = ne0]
    float32 holding exactly the dequantized values; vectors are float32 [ne0]."""

    def __init__(self, path, int8_activations=False):
        self.path = path
        self.int8_activations = int8_activations
        try:
            self.reader = GGUFReader(path)
        except ValueError as e:  # the gguf package's word for a malformed file
            raise ModelFileError(f'{path}: not a readable GGUF file ({e})')
        self.tensors = {t.name: t for t in self.reader.tensors}
        self.arch = self.meta('general.architecture')
        a = self.arch
        self.n_embd = self.meta(f'{a}.embedding_length')
        self.n_layer = self.meta(f'{a}.block_count')
        self.n_ff = self.meta(f'{a}.feed_forward_length')
        self.n_head = self.meta(f'{a}.attention.head_count')
        self.n_head_kv = self.meta(f'{a}.attention.head_count_kv', self.n_head)
        # llama.cpp: head_dim = key_length when present, else n_embd / n_head (every family)
        self.head_dim = self.meta(f'{a}.attention.key_length', self.n_embd // self.n_head)
        value_dim = self.meta(f'{a}.attention.value_length', self.head_dim)
        if value_dim != self.head_dim:
            raise ModelFileError(f'{path}: {a}.attention.value_length {value_dim} differs from key_length '
                                 f'{self.head_dim}; this reference needs equal key and value head sizes')
        self.n_rot = self.meta(f'{a}.rope.dimension_count', self.head_dim)
        self.eps = self.meta(f'{a}.attention.layer_norm_rms_epsilon')
        self.rope_base = self.meta(f'{a}.rope.freq_base', 10000.0)
        # rope.scaling: only "linear" (positions multiplied by 1/factor) is supported here
        scaling = self.meta(f'{a}.rope.scaling.type', 'none')
        if scaling not in ('none', 'linear'):
            raise ModelFileError(f"{path}: {a}.rope.scaling.type '{scaling}' is not supported by this "
                                 "reference (only none and linear)")
        factor = self.meta(f'{a}.rope.scaling.factor', 0.0)
        self.rope_scale = 1.0 / factor if scaling == 'linear' and factor > 0 else 1.0
        if self.meta(f'{a}.attention.scale', None) is not None:
            raise ModelFileError(f'{path}: {a}.attention.scale is set; this reference assumes 1/sqrt(head_dim)')
        self.vocab = int(self.tensors['token_embd.weight'].shape[1]) if 'token_embd.weight' in self.tensors else 0

    def meta(self, key, default=REQUIRED):
        field = self.reader.fields.get(key)
        if field is None:
            if default is REQUIRED:
                raise ModelFileError(f"{self.path}: metadata key '{key}' is missing")
            return default
        return field.contents()

    def has(self, name):
        return name in self.tensors

    def weight(self, name):
        """The tensor `name` dequantized: [ne1, ne0] for matrices, [ne0] for vectors."""
        t = self.tensors.get(name)
        if t is None:
            raise ModelFileError(f"{self.path}: tensor '{name}' is missing")
        shape = [int(n) for n in t.shape]  # GGUF order: ne0 (contiguous) first
        values = dequantize(np.array(t.data), t.tensor_type).astype(np.float32).reshape(-1)
        if values.size != int(np.prod(shape)):
            raise ModelFileError(f"{self.path}: tensor '{name}' has {values.size} values, shape says {shape}")
        return values.reshape(shape[::-1])

    def optional(self, name):
        return self.weight(name) if self.has(name) else None

    def output_head_name(self):
        """`output.weight`, or the token embeddings when the file ties them (no output.weight)."""
        return 'output.weight' if self.has('output.weight') else 'token_embd.weight'

    def output_head(self):
        return self.weight(self.output_head_name())

    def int8_input(self, *names):
        """Whether products with these tensors (stacked into one matrix) take int8 activations."""
        T = GGMLQuantizationType
        plain, with_offsets, sixteen = (T.Q4_0, T.Q5_0, T.Q8_0), (T.Q4_1, T.Q5_1, T.Q4_K, T.Q5_K), (T.Q6_K,)
        types = [self.tensors[n].tensor_type for n in names]
        if not self.int8_activations or any(t not in plain + with_offsets + sixteen for t in types):
            return False
        if any(t in with_offsets for t in types) and any(t in sixteen for t in types):
            return False
        return all(int(self.tensors[n].shape[0]) % 32 == 0 for n in names)


def layer_int8(m):
    """int8(il, *tensors): whether layer il's product with those (stacked) tensors takes int8 input."""
    return lambda il, *names: m.int8_input(*(f'blk.{il}.{name}.weight' for name in names))


# ----------------------------------------------------------------------------------------------
# Building blocks. x is float64 [n_tokens, ...]; weights are float32 and promoted by numpy.


def quantize_rows(x):
    """Each row of x rounded per group of 32 to one of 255 steps of the group's largest |value|."""
    groups = x.reshape(x.shape[0], -1, 32)
    step = np.abs(groups).max(axis=-1, keepdims=True) / 127
    scaled = groups / np.where(step == 0, 1, step)
    return (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) * step).reshape(x.shape)


def linear(x, w, bias=None, int8=False):
    """y = W·x for each row of x: x [n, columns], w [rows, columns] -> [n, rows]. Large matrices
    (a 262k vocabulary) go in slices so the float64 copy of the weights stays small. With int8,
    x is first rounded as int8 activations are (quantize_rows)."""
    if int8:
        x = quantize_rows(x)
    y = np.concatenate([x @ w[r:r + 65536].astype(np.float64).T for r in range(0, w.shape[0], 65536)], axis=-1)
    return y if bias is None else y + bias


def rms_norm(x, w, eps):
    """x / sqrt(mean(x²) + eps) · w over the last axis (GGUF norm weights already hold Gemma's +1)."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_angles(positions, n_rot, base, scale, factors=None):
    """θ[p, i] = scale · p · base^(−2i/n_rot) / factors[i] for i < n_rot/2, shape [n, n_rot/2]."""
    i = np.arange(n_rot // 2)
    inv_freq = base ** (-2.0 * i / n_rot)
    if factors is not None:  # Llama 3.1+ rope_freqs.weight: θ_i is divided by factor i
        inv_freq = inv_freq / factors
    return scale * positions[:, None] * inv_freq[None, :]


def rope_norm(x, theta, n_rot):
    """"NORM" rope (llama): rotates adjacent pairs (2i, 2i+1). x [n, heads, head_dim], theta [n, n_rot/2]."""
    c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    out = x.copy()
    x0, x1 = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
    out[..., 0:n_rot:2] = x0 * c - x1 * s
    out[..., 1:n_rot:2] = x0 * s + x1 * c
    return out


def rope_neox(x, theta, n_rot):
    """NEOX rope (qwen2, gemma3): rotates pairs (i, i + n_rot/2). x [n, heads, head_dim]."""
    c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    half = n_rot // 2
    out = x.copy()
    x0, x1 = x[..., :half], x[..., half:n_rot]
    out[..., :half] = x0 * c - x1 * s
    out[..., half:n_rot] = x0 * s + x1 * c
    return out


def attention(q, k, v, scale, window=None):
    """Causal grouped-query attention. q [n, n_head, d], k and v [n, n_head_kv, d] -> [n, n_head·d].
    Query head h reads KV head h // (n_head / n_head_kv). With a window, the query at position p
    sees only keys at positions > p − window (itself included)."""
    n, n_head, d = q.shape
    group = n_head // k.shape[1]
    pq, pk = np.arange(n)[:, None], np.arange(n)[None, :]
    masked = pk > pq
    if window is not None:
        masked |= pq - pk >= window
    out = np.empty((n, n_head, d))
    for h in range(n_head):
        scores = scale * (q[:, h] @ k[:, h // group].T)  # [n queries, n keys]
        scores[masked] = -np.inf
        p = np.exp(scores - scores.max(axis=-1, keepdims=True))
        out[:, h] = (p / p.sum(axis=-1, keepdims=True)) @ v[:, h // group]
    return out.reshape(n, n_head * d)


TAPS = {}  # name -> {layer: [n, width]}, filled by tap() when --taps is given


def tap(name, il, x):
    """Keeps layer il's activations under llama.cpp's callback name (`l_out`: the residual stream
    after the layer), for a layer-by-layer comparison (LayerTap on the Swift side)."""
    TAPS.setdefault(name, {})[il] = x.copy()


def silu(x):
    return x / (1 + np.exp(-x))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * x * (1 + 0.044715 * x * x)))


# ----------------------------------------------------------------------------------------------
# One forward pass per family: tokens [n] -> logits [n, vocab]


def llama_forward(m, tokens):
    """llama.cpp `llama`: pre-norm blocks, NORM rope with optional frequency factors, SwiGLU."""
    int8 = layer_int8(m)
    n, d = len(tokens), m.head_dim
    theta = rope_angles(np.arange(n), m.n_rot, m.rope_base, m.rope_scale, m.optional('rope_freqs.weight'))
    x = m.weight('token_embd.weight')[tokens].astype(np.float64)  # [n, n_embd]
    for il in range(m.n_layer):
        blk = lambda name: m.weight(f'blk.{il}.{name}')
        qkv8, gu8 = int8(il, 'attn_q', 'attn_k', 'attn_v'), int8(il, 'ffn_gate', 'ffn_up')
        opt = lambda name: m.optional(f'blk.{il}.{name}')
        h = rms_norm(x, blk('attn_norm.weight'), m.eps)
        q = linear(h, blk('attn_q.weight'), opt('attn_q.bias'), qkv8).reshape(n, m.n_head, d)
        k = linear(h, blk('attn_k.weight'), opt('attn_k.bias'), qkv8).reshape(n, m.n_head_kv, d)
        v = linear(h, blk('attn_v.weight'), opt('attn_v.bias'), qkv8).reshape(n, m.n_head_kv, d)
        q, k = rope_norm(q, theta, m.n_rot), rope_norm(k, theta, m.n_rot)
        a = attention(q, k, v, 1 / np.sqrt(d))
        x = x + linear(a, blk('attn_output.weight'), opt('attn_output.bias'), int8(il, 'attn_output'))  # residual
        h = rms_norm(x, blk('ffn_norm.weight'), m.eps)
        f = silu(linear(h, blk('ffn_gate.weight'), int8=gu8)) * linear(h, blk('ffn_up.weight'), int8=gu8)
        x = x + linear(f, blk('ffn_down.weight'), int8=int8(il, 'ffn_down'))  # residual
        tap('l_out', il, x)
    return linear(rms_norm(x, m.weight('output_norm.weight'), m.eps), m.output_head(), int8=m.int8_input(m.output_head_name()))


def qwen2_forward(m, tokens):
    """llama.cpp `qwen2`: like llama, but Q/K/V carry biases and rope is NEOX."""
    int8 = layer_int8(m)
    n, d = len(tokens), m.head_dim
    theta = rope_angles(np.arange(n), m.n_rot, m.rope_base, m.rope_scale)
    x = m.weight('token_embd.weight')[tokens].astype(np.float64)  # [n, n_embd]
    for il in range(m.n_layer):
        blk = lambda name: m.weight(f'blk.{il}.{name}')
        qkv8, gu8 = int8(il, 'attn_q', 'attn_k', 'attn_v'), int8(il, 'ffn_gate', 'ffn_up')
        h = rms_norm(x, blk('attn_norm.weight'), m.eps)
        q = linear(h, blk('attn_q.weight'), blk('attn_q.bias'), qkv8).reshape(n, m.n_head, d)
        k = linear(h, blk('attn_k.weight'), blk('attn_k.bias'), qkv8).reshape(n, m.n_head_kv, d)
        v = linear(h, blk('attn_v.weight'), blk('attn_v.bias'), qkv8).reshape(n, m.n_head_kv, d)
        q, k = rope_neox(q, theta, m.n_rot), rope_neox(k, theta, m.n_rot)
        a = attention(q, k, v, 1 / np.sqrt(d))
        x = x + linear(a, blk('attn_output.weight'), m.optional(f'blk.{il}.attn_output.bias'),
                       int8(il, 'attn_output'))  # residual
        h = rms_norm(x, blk('ffn_norm.weight'), m.eps)
        f = silu(linear(h, blk('ffn_gate.weight'), int8=gu8)) * linear(h, blk('ffn_up.weight'), int8=gu8)
        x = x + linear(f, blk('ffn_down.weight'), int8=int8(il, 'ffn_down'))  # residual
        tap('l_out', il, x)
    logits = linear(rms_norm(x, m.weight('output_norm.weight'), m.eps), m.output_head(),
                    int8=m.int8_input(m.output_head_name()))
    return logits if not m.has('output.bias') else logits + m.weight('output.bias')


def qwen3_forward(m, tokens):
    """llama.cpp `qwen3`: like qwen2 without Q/K/V biases, with an RMSNorm over each head of Q and
    K (one weight per head dimension) before NEOX rope; output tied when output.weight is absent."""
    int8 = layer_int8(m)
    n, d = len(tokens), m.head_dim
    theta = rope_angles(np.arange(n), m.n_rot, m.rope_base, m.rope_scale)
    x = m.weight('token_embd.weight')[tokens].astype(np.float64)  # [n, n_embd]
    for il in range(m.n_layer):
        blk = lambda name: m.weight(f'blk.{il}.{name}')
        qkv8, gu8 = int8(il, 'attn_q', 'attn_k', 'attn_v'), int8(il, 'ffn_gate', 'ffn_up')
        h = rms_norm(x, blk('attn_norm.weight'), m.eps)
        q = linear(h, blk('attn_q.weight'), int8=qkv8).reshape(n, m.n_head, d)
        k = linear(h, blk('attn_k.weight'), int8=qkv8).reshape(n, m.n_head_kv, d)
        v = linear(h, blk('attn_v.weight'), int8=qkv8).reshape(n, m.n_head_kv, d)
        q = rope_neox(rms_norm(q, blk('attn_q_norm.weight'), m.eps), theta, m.n_rot)  # norm per head
        k = rope_neox(rms_norm(k, blk('attn_k_norm.weight'), m.eps), theta, m.n_rot)
        a = attention(q, k, v, 1 / np.sqrt(d))
        x = x + linear(a, blk('attn_output.weight'), int8=int8(il, 'attn_output'))  # residual
        h = rms_norm(x, blk('ffn_norm.weight'), m.eps)
        f = silu(linear(h, blk('ffn_gate.weight'), int8=gu8)) * linear(h, blk('ffn_up.weight'), int8=gu8)
        x = x + linear(f, blk('ffn_down.weight'), int8=int8(il, 'ffn_down'))  # residual
        tap('l_out', il, x)
    return linear(rms_norm(x, m.weight('output_norm.weight'), m.eps), m.output_head(), int8=m.int8_input(m.output_head_name()))


def phi3_forward(m, tokens):
    """llama.cpp `phi3`: pre-norm blocks with fused Q/K/V (attn_qkv) and fused gate/up (ffn_up,
    gate rows first), NEOX rope over rope.dimension_count dims with LongRoPE factors (long when
    context_length > rope.scaling.original_context_length, else short) and rope.scaling.attn_factor
    multiplying the rotated Q and K (ggml's attn_factor), SwiGLU, untied output."""
    int8 = layer_int8(m)
    n, d = len(tokens), m.head_dim
    original = m.meta('phi3.rope.scaling.original_context_length', m.meta('phi3.context_length'))
    long = m.meta('phi3.context_length') > original
    factors = m.optional('rope_factors_long.weight' if long else 'rope_factors_short.weight')
    theta = rope_angles(np.arange(n), m.n_rot, m.rope_base, m.rope_scale, factors)
    mscale = m.meta('phi3.rope.scaling.attn_factor', 1.0)
    q_dim, kv_dim = m.n_head * d, m.n_head_kv * d
    x = m.weight('token_embd.weight')[tokens].astype(np.float64)  # [n, n_embd]
    for il in range(m.n_layer):
        blk = lambda name: m.weight(f'blk.{il}.{name}')
        h = rms_norm(x, blk('attn_norm.weight'), m.eps)
        qkv = linear(h, blk('attn_qkv.weight'), int8=int8(il, 'attn_qkv'))
        q = qkv[:, :q_dim].reshape(n, m.n_head, d)
        k = qkv[:, q_dim:q_dim + kv_dim].reshape(n, m.n_head_kv, d)
        v = qkv[:, q_dim + kv_dim:].reshape(n, m.n_head_kv, d)
        q, k = mscale * rope_neox(q, theta, m.n_rot), mscale * rope_neox(k, theta, m.n_rot)
        a = attention(q, k, v, 1 / np.sqrt(d))
        x = x + linear(a, blk('attn_output.weight'), int8=int8(il, 'attn_output'))  # residual
        h = rms_norm(x, blk('ffn_norm.weight'), m.eps)
        gate_up = linear(h, blk('ffn_up.weight'), int8=int8(il, 'ffn_up'))
        f = silu(gate_up[:, :m.n_ff]) * gate_up[:, m.n_ff:]
        x = x + linear(f, blk('ffn_down.weight'), int8=int8(il, 'ffn_down'))  # residual
        tap('l_out', il, x)
    return linear(rms_norm(x, m.weight('output_norm.weight'), m.eps), m.output_head(), int8=m.int8_input(m.output_head_name()))


def gemma3_sliding_layers(m):
    """Which layers use the sliding window. The pattern is an integer P (layer il is local when
    il % P < P − 1; llama.cpp's default is 6) or one bool per layer."""
    pattern = m.meta('gemma3.attention.sliding_window_pattern', 6)
    if isinstance(pattern, list):
        if len(pattern) != m.n_layer:
            raise ModelFileError(f'{m.path}: gemma3.attention.sliding_window_pattern has {len(pattern)} '
                                 f'entries for {m.n_layer} layers')
        return [bool(b) for b in pattern]
    return [pattern == 0 or il % pattern < pattern - 1 for il in range(m.n_layer)]


def gemma3_forward(m, tokens):
    """llama.cpp `gemma3`: embeddings ×√n_embd, per-head QK-norm, NEOX rope with a local base on
    sliding-window layers, sandwich norms around attention and FFN, GELU-tanh(gate)·up."""
    int8 = layer_int8(m)
    n, d = len(tokens), m.head_dim
    window = m.meta('gemma3.attention.sliding_window')
    local = gemma3_sliding_layers(m)
    # Local layers: base 10000 (or rope.freq_base_swa), never scaled. Global: rope.freq_base, scaled.
    theta_local = rope_angles(np.arange(n), m.n_rot, m.meta('gemma3.rope.freq_base_swa', 10000.0), 1.0)
    theta_global = rope_angles(np.arange(n), m.n_rot, m.rope_base, m.rope_scale)
    # Gemma 3 27B (62 layers) scales by 1/sqrt(n_embd / n_head); every other size by 1/sqrt(head_dim).
    scale = 1 / np.sqrt(m.n_embd / m.n_head if m.n_layer == 62 else d)
    x = m.weight('token_embd.weight')[tokens].astype(np.float64) * np.sqrt(m.n_embd)  # [n, n_embd]
    for il in range(m.n_layer):
        blk = lambda name: m.weight(f'blk.{il}.{name}')
        qkv8, gu8 = int8(il, 'attn_q', 'attn_k', 'attn_v'), int8(il, 'ffn_gate', 'ffn_up')
        theta = theta_local if local[il] else theta_global
        h = rms_norm(x, blk('attn_norm.weight'), m.eps)
        q = linear(h, blk('attn_q.weight'), int8=qkv8).reshape(n, m.n_head, d)
        k = linear(h, blk('attn_k.weight'), int8=qkv8).reshape(n, m.n_head_kv, d)
        v = linear(h, blk('attn_v.weight'), int8=qkv8).reshape(n, m.n_head_kv, d)
        q = rope_neox(rms_norm(q, blk('attn_q_norm.weight'), m.eps), theta, m.n_rot)  # norm per head
        k = rope_neox(rms_norm(k, blk('attn_k_norm.weight'), m.eps), theta, m.n_rot)
        a = attention(q, k, v, scale, window if local[il] else None)
        o = linear(a, blk('attn_output.weight'), int8=int8(il, 'attn_output'))
        x = x + rms_norm(o, blk('post_attention_norm.weight'), m.eps)  # residual of the normed output
        h = rms_norm(x, blk('ffn_norm.weight'), m.eps)
        f = linear(gelu_tanh(linear(h, blk('ffn_gate.weight'), int8=gu8)) * linear(h, blk('ffn_up.weight'), int8=gu8),
                   blk('ffn_down.weight'), int8=int8(il, 'ffn_down'))
        x = x + rms_norm(f, blk('post_ffw_norm.weight'), m.eps)  # residual of the normed output
        tap('l_out', il, x)
    # The sliding-window graph never soft-caps the final logits.
    return linear(rms_norm(x, m.weight('output_norm.weight'), m.eps), m.output_head(), int8=m.int8_input(m.output_head_name()))


FORWARD = {'llama': llama_forward, 'qwen2': qwen2_forward, 'qwen3': qwen3_forward, 'phi3': phi3_forward,
           'gemma3': gemma3_forward}


# ----------------------------------------------------------------------------------------------
# Command line


def parse_tokens(text):
    try:
        tokens = [int(t) for t in text.split(',') if t.strip()]
    except ValueError:
        raise ModelFileError(f"--tokens '{text}': expected comma-separated integer token ids, e.g. 2,10,20")
    if not tokens:
        raise ModelFileError('--tokens is empty: give at least one token id')
    return tokens


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('model', help='GGUF file of a llama, qwen2, qwen3, phi3 or gemma3 model')
    ap.add_argument('--tokens', required=True, help='comma-separated token ids at positions 0, 1, ...')
    ap.add_argument('--all', action='store_true', help='logits for every token, not only the last')
    ap.add_argument('--top', type=int, default=0, metavar='K', help='print the K highest logits per row')
    ap.add_argument('--taps', action='store_true', help="also print every layer's output (l_out) for every token")
    ap.add_argument('--int8-activations', action='store_true',
                    help='round the inputs of Q4_0/Q5_0/Q8_0 products as int8 activations are')
    args = ap.parse_args()
    try:
        tokens = parse_tokens(args.tokens)
        m = Model(args.model, args.int8_activations)
        if m.arch not in FORWARD:
            raise ModelFileError(f"{args.model}: architecture '{m.arch}' is not supported; "
                                 f"supported: {', '.join(sorted(FORWARD))}")
        bad = [t for t in tokens if not 0 <= t < m.vocab]
        if bad:
            raise ModelFileError(f'--tokens: ids {bad} are outside the vocabulary 0..<{m.vocab}')
        logits = FORWARD[m.arch](m, tokens)
    except (ModelFileError, OSError) as e:
        sys.exit(f'reference_forward.py: {e}')
    rows = logits if args.all else logits[-1:]
    if args.top > 0:
        order = np.argsort(-rows, axis=-1, kind='stable')[:, :args.top]
        result = {'top': [[[int(i), float(r[i])] for i in o] for r, o in zip(rows, order)]}
    else:
        result = {'logits': rows.tolist()}
    if args.taps:
        result['taps'] = {name: [layers[il].tolist() for il in sorted(layers)] for name, layers in TAPS.items()}
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
