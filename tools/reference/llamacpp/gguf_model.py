"""A minimal GGUF v3 writer and tiny random-weight Phi models, in the Python standard library only.

Written from the GGUF specification (ggml-org/ggml docs/gguf.md), independently of PhiSharp's own writer, so the
fixture files test PhiSharp's reader as well as its arithmetic. Weights are F16 (the source precision of the
fixtures); llama.cpp makes every other type from these files.
"""
import math
import struct

from xorshift import Rng

GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 7, 8, 9
GGML_F32, GGML_F16 = 0, 1
ALIGNMENT = 32


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(kind, v):
    if kind == GGUF_UINT32:
        return struct.pack("<I", v)
    if kind == GGUF_INT32:
        return struct.pack("<i", v)
    if kind == GGUF_FLOAT32:
        return struct.pack("<f", v)
    if kind == GGUF_BOOL:
        return struct.pack("<B", 1 if v else 0)
    if kind == GGUF_STRING:
        return _string(v)
    raise ValueError(kind)


def write_gguf(path, metadata, tensors):
    """metadata: list of (key, kind, value) where an array value is (element_kind, [values]);
    tensors: list of (name, dims innermost first, ggml_type, bytes)."""
    out = bytearray(b"GGUF")
    out += struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, value in metadata:
        out += _string(key) + struct.pack("<I", kind)
        if kind == GGUF_ARRAY:
            element_kind, items = value
            out += struct.pack("<IQ", element_kind, len(items))
            for item in items:
                out += _value(element_kind, item)
        else:
            out += _value(kind, value)
    offset = 0
    for name, dims, ggml_type, data in tensors:
        out += _string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ggml_type, offset)
        offset += len(data)
        offset += -offset % ALIGNMENT
    out += b"\0" * (-len(out) % ALIGNMENT)
    for _, _, _, data in tensors:
        out += data
        out += b"\0" * (-len(out) % ALIGNMENT)
    with open(path, "wb") as f:
        f.write(out)


CHAT_TOKENS = ["<|end|>", "<|user|>", "<|assistant|>", "<|system|>"]


def spm_tokens(size):
    """<unk> <s> </s>, the 256 byte tokens, Phi-3's chat tokens, then made-up pieces."""
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + CHAT_TOKENS
    return tokens + ["\u2581w%d" % i for i in range(size - len(tokens))]


def spm_vocabulary(size):
    """spm_tokens as GGUF tokenizer metadata (SentencePiece-style: token types and scores)."""
    tokens = spm_tokens(size)
    types = [2, 3, 3] + [6] * 256 + [3] * 4 + [1] * (size - 263)
    scores = [0.0] * 263 + [-float(i) for i in range(size - 263)]
    return [
        ("tokenizer.ggml.model", GGUF_STRING, "llama"),
        ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, tokens)),
        ("tokenizer.ggml.scores", GGUF_ARRAY, (GGUF_FLOAT32, scores)),
        ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, types)),
        ("tokenizer.ggml.bos_token_id", GGUF_UINT32, 1),
        ("tokenizer.ggml.eos_token_id", GGUF_UINT32, 2),
        ("tokenizer.ggml.unknown_token_id", GGUF_UINT32, 0),
        ("tokenizer.ggml.add_bos_token", GGUF_BOOL, False),
    ]


def _f16(values):
    return struct.pack("<%de" % len(values), *values)


def _f32(values):
    return struct.pack("<%df" % len(values), *values)


def _matrix(rng, rows, cols):
    """Uniform weights with the variance of a fan-in-scaled init, so activations stay O(1) through the layers."""
    a = math.sqrt(3.0 / cols)
    return [a * rng.symmetric() for _ in range(rows * cols)]


def _norm(rng, n):
    return [1.0 + 0.2 * rng.symmetric() for _ in range(n)]


def _bias(rng, n):
    return [0.1 * rng.symmetric() for _ in range(n)]


def phi3(path, *, seed, hidden, heads, kv_heads, ff, layers, vocab, context, rotary_dim=None, tied=False,
         sliding_window=None, longrope=None, vocabulary=None, name="phisharp-fixture"):
    """longrope: (original_context, short_factors, long_factors, attention_factor) or None.
    vocabulary: tokenizer metadata entries (bpe_vocab.py) for a vocabulary of `vocab` tokens instead of the made-up one.
    name: general.name (llama.cpp gives Phi-3's special tokens their rstrip flags only when it contains "phi-3"/"phi3")."""
    rng = Rng(seed)
    head_dim = hidden // heads
    rotary_dim = rotary_dim or head_dim
    a = "phi3."
    meta = [
        ("general.architecture", GGUF_STRING, "phi3"),
        ("general.name", GGUF_STRING, name),
        (a + "context_length", GGUF_UINT32, context),
        (a + "embedding_length", GGUF_UINT32, hidden),
        (a + "feed_forward_length", GGUF_UINT32, ff),
        (a + "block_count", GGUF_UINT32, layers),
        (a + "attention.head_count", GGUF_UINT32, heads),
        (a + "attention.head_count_kv", GGUF_UINT32, kv_heads),
        (a + "attention.layer_norm_rms_epsilon", GGUF_FLOAT32, 1e-5),
        (a + "rope.dimension_count", GGUF_UINT32, rotary_dim),
        (a + "rope.freq_base", GGUF_FLOAT32, 10000.0),
    ]
    if sliding_window:
        meta.append((a + "attention.sliding_window", GGUF_UINT32, sliding_window))
    if longrope:
        original, _, _, attention_factor = longrope
        meta.append((a + "rope.scaling.original_context_length", GGUF_UINT32, original))
        meta.append((a + "rope.scaling.attn_factor", GGUF_FLOAT32, attention_factor))
    meta += vocabulary or spm_vocabulary(vocab)

    qkv = (heads + 2 * kv_heads) * head_dim
    t = [("token_embd.weight", [hidden, vocab], GGML_F16, _f16(_matrix(rng, vocab, hidden)))]
    t.append(("output_norm.weight", [hidden], GGML_F32, _f32(_norm(rng, hidden))))
    if not tied:
        t.append(("output.weight", [hidden, vocab], GGML_F16, _f16(_matrix(rng, vocab, hidden))))
    if longrope:
        _, short, long, _ = longrope
        t.append(("rope_factors_short.weight", [rotary_dim // 2], GGML_F32, _f32(short)))
        t.append(("rope_factors_long.weight", [rotary_dim // 2], GGML_F32, _f32(long)))
    for i in range(layers):
        b = "blk.%d." % i
        t.append((b + "attn_norm.weight", [hidden], GGML_F32, _f32(_norm(rng, hidden))))
        t.append((b + "attn_qkv.weight", [hidden, qkv], GGML_F16, _f16(_matrix(rng, qkv, hidden))))
        t.append((b + "attn_output.weight", [hidden, hidden], GGML_F16, _f16(_matrix(rng, hidden, hidden))))
        t.append((b + "ffn_norm.weight", [hidden], GGML_F32, _f32(_norm(rng, hidden))))
        t.append((b + "ffn_up.weight", [hidden, 2 * ff], GGML_F16, _f16(_matrix(rng, 2 * ff, hidden))))
        t.append((b + "ffn_down.weight", [ff, hidden], GGML_F16, _f16(_matrix(rng, hidden, ff))))
    write_gguf(path, meta, t)


def phi2(path, *, seed, hidden, heads, ff, layers, vocab, context, rotary_dim, vocabulary=None):
    rng = Rng(seed)
    a = "phi2."
    meta = [
        ("general.architecture", GGUF_STRING, "phi2"),
        ("general.name", GGUF_STRING, "phisharp-fixture"),
        (a + "context_length", GGUF_UINT32, context),
        (a + "embedding_length", GGUF_UINT32, hidden),
        (a + "feed_forward_length", GGUF_UINT32, ff),
        (a + "block_count", GGUF_UINT32, layers),
        (a + "attention.head_count", GGUF_UINT32, heads),
        (a + "attention.head_count_kv", GGUF_UINT32, heads),
        (a + "attention.layer_norm_epsilon", GGUF_FLOAT32, 1e-5),
        (a + "rope.dimension_count", GGUF_UINT32, rotary_dim),
    ] + (vocabulary or spm_vocabulary(vocab))
    t = [("token_embd.weight", [hidden, vocab], GGML_F16, _f16(_matrix(rng, vocab, hidden)))]
    t.append(("output_norm.weight", [hidden], GGML_F32, _f32(_norm(rng, hidden))))
    t.append(("output_norm.bias", [hidden], GGML_F32, _f32(_bias(rng, hidden))))
    t.append(("output.weight", [hidden, vocab], GGML_F16, _f16(_matrix(rng, vocab, hidden))))
    t.append(("output.bias", [vocab], GGML_F32, _f32(_bias(rng, vocab))))
    for i in range(layers):
        b = "blk.%d." % i
        t.append((b + "attn_norm.weight", [hidden], GGML_F32, _f32(_norm(rng, hidden))))
        t.append((b + "attn_norm.bias", [hidden], GGML_F32, _f32(_bias(rng, hidden))))
        t.append((b + "attn_qkv.weight", [hidden, 3 * hidden], GGML_F16, _f16(_matrix(rng, 3 * hidden, hidden))))
        t.append((b + "attn_qkv.bias", [3 * hidden], GGML_F32, _f32(_bias(rng, 3 * hidden))))
        t.append((b + "attn_output.weight", [hidden, hidden], GGML_F16, _f16(_matrix(rng, hidden, hidden))))
        t.append((b + "attn_output.bias", [hidden], GGML_F32, _f32(_bias(rng, hidden))))
        t.append((b + "ffn_up.weight", [hidden, ff], GGML_F16, _f16(_matrix(rng, ff, hidden))))
        t.append((b + "ffn_up.bias", [ff], GGML_F32, _f32(_bias(rng, ff))))
        t.append((b + "ffn_down.weight", [ff, hidden], GGML_F16, _f16(_matrix(rng, hidden, ff))))
        t.append((b + "ffn_down.bias", [hidden], GGML_F32, _f32(_bias(rng, hidden))))
    write_gguf(path, meta, t)
