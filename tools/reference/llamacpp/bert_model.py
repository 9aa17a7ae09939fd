"""Tiny random-weight BERT-family embedding models as GGUF (standard library only), in llama.cpp's layout.

Tensor names and metadata are those llama.cpp's converter writes for "bert" (bge-small-en-v1.5, all-MiniLM-L6-v2:
absolute positions, token types, separate biased q/k/v, GELU MLP, post-LayerNorm) and "nomic-bert"
(nomic-embed-text-v1.5: rotary, fused unbiased qkv, SwiGLU MLP with ffn_up = fc11 and ffn_gate = fc12).
Weights are F32, so the comparison with llama.cpp measures arithmetic, not rounding of the weights.
The vocabulary is a small slice of bert-base-uncased's (tests/fixtures/wordpiece/vocab.txt) with the specials at
their usual ids, stored in llama.cpp's "phantom space" form (▁word, bare continuation, [SPECIAL]).
"""
import os

from gguf_model import (GGUF_ARRAY, GGUF_BOOL, GGUF_FLOAT32, GGUF_INT32, GGUF_STRING, GGUF_UINT32, GGML_F32,
                        _bias, _f32, _matrix, _norm, write_gguf)
from xorshift import Rng

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_TXT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/wordpiece/vocab.txt"))
POOLING = {"mean": 1, "cls": 2}


def small_vocabulary():
    """ids 0..103 as in bert-base-uncased ([PAD], [unused*], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), then the
    single printable ASCII characters, their ## continuations, and the 300 commonest words (ids 1996..2295)."""
    with open(VOCAB_TXT, encoding="utf-8") as f:
        full = f.read().split("\n")[:-1]
    entries = full[:104]
    entries += [chr(c) for c in range(0x21, 0x7F) if chr(c) in full and not chr(c).isupper()]
    entries += ["##" + chr(c) for c in range(0x21, 0x7F) if "##" + chr(c) in full]
    entries += [w for w in full[1996:2296] if w not in entries]
    return entries


def vocabulary_metadata(entries):
    special = lambda t: t.startswith("[") and t.endswith("]")
    tokens = [t if special(t) else t[2:] if t.startswith("##") else "\u2581" + t for t in entries]
    types = [3 if special(t) else 1 for t in entries]
    return [
        ("tokenizer.ggml.model", GGUF_STRING, "bert"),
        ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, tokens)),
        ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, types)),
        ("tokenizer.ggml.token_type_count", GGUF_UINT32, 2),
        ("tokenizer.ggml.unknown_token_id", GGUF_UINT32, 100),
        ("tokenizer.ggml.cls_token_id", GGUF_UINT32, 101),
        ("tokenizer.ggml.seperator_token_id", GGUF_UINT32, 102),
        ("tokenizer.ggml.padding_token_id", GGUF_UINT32, 0),
        ("tokenizer.ggml.mask_token_id", GGUF_UINT32, 103),
    ]


def _t(name, dims, values):
    return (name, dims, GGML_F32, _f32(values))


def encoder(path, *, arch, seed, hidden, heads, ff, layers, context, pooling, rope_theta=1000.0):
    rng = Rng(seed)
    entries = small_vocabulary()
    vocab = len(entries)
    a = arch + "."
    meta = [
        ("general.architecture", GGUF_STRING, arch),
        ("general.name", GGUF_STRING, "phisharp-fixture"),
        (a + "context_length", GGUF_UINT32, context),
        (a + "embedding_length", GGUF_UINT32, hidden),
        (a + "feed_forward_length", GGUF_UINT32, ff),
        (a + "block_count", GGUF_UINT32, layers),
        (a + "attention.head_count", GGUF_UINT32, heads),
        (a + "attention.layer_norm_epsilon", GGUF_FLOAT32, 1e-12),
        (a + "attention.causal", GGUF_BOOL, False),
        (a + "pooling_type", GGUF_UINT32, POOLING[pooling]),
    ]
    if arch == "nomic-bert":
        meta.append((a + "rope.freq_base", GGUF_FLOAT32, rope_theta))
    meta += vocabulary_metadata(entries)

    t = [_t("token_embd.weight", [hidden, vocab], _matrix(rng, vocab, hidden)),
         _t("token_types.weight", [hidden, 2], _matrix(rng, 2, hidden))]
    if arch == "bert":
        t.append(_t("position_embd.weight", [hidden, context], _matrix(rng, context, hidden)))
    t.append(_t("token_embd_norm.weight", [hidden], _norm(rng, hidden)))
    t.append(_t("token_embd_norm.bias", [hidden], _bias(rng, hidden)))
    for i in range(layers):
        b = "blk.%d." % i
        if arch == "bert":
            for name in ("attn_q", "attn_k", "attn_v"):
                t.append(_t(b + name + ".weight", [hidden, hidden], _matrix(rng, hidden, hidden)))
                t.append(_t(b + name + ".bias", [hidden], _bias(rng, hidden)))
            t.append(_t(b + "attn_output.weight", [hidden, hidden], _matrix(rng, hidden, hidden)))
            t.append(_t(b + "attn_output.bias", [hidden], _bias(rng, hidden)))
        else:
            t.append(_t(b + "attn_qkv.weight", [hidden, 3 * hidden], _matrix(rng, 3 * hidden, hidden)))
            t.append(_t(b + "attn_output.weight", [hidden, hidden], _matrix(rng, hidden, hidden)))
        t.append(_t(b + "attn_output_norm.weight", [hidden], _norm(rng, hidden)))
        t.append(_t(b + "attn_output_norm.bias", [hidden], _bias(rng, hidden)))
        t.append(_t(b + "ffn_up.weight", [hidden, ff], _matrix(rng, ff, hidden)))
        if arch == "bert":
            t.append(_t(b + "ffn_up.bias", [ff], _bias(rng, ff)))
        else:
            t.append(_t(b + "ffn_gate.weight", [hidden, ff], _matrix(rng, ff, hidden)))
        t.append(_t(b + "ffn_down.weight", [ff, hidden], _matrix(rng, hidden, ff)))
        if arch == "bert":
            t.append(_t(b + "ffn_down.bias", [hidden], _bias(rng, hidden)))
        t.append(_t(b + "layer_output_norm.weight", [hidden], _norm(rng, hidden)))
        t.append(_t(b + "layer_output_norm.bias", [hidden], _bias(rng, hidden)))
    write_gguf(path, meta, t)
    return vocab
