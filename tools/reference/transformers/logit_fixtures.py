#!/usr/bin/env python3
"""Reference logits and greedy continuations from Hugging Face transformers for tiny random-weight Phi models.

Each model is a complete Hugging Face folder (config.json written by transformers itself, model.safetensors,
tokenizer.json) with the shape of a released model scaled down: Phi-3-mini-4k (F32, F16 and BF16 weights),
Phi-3-mini-128k (LongRoPE, old "su" type), Phi-3-medium (4:1 grouped-query attention, sliding window),
Phi-3.5-mini (LongRoPE), Phi-4-mini (partial rotary, tied embeddings, LongRoPE), Phi-4 (4:1 grouped-query
attention, rope_theta 250000, no window) and Phi-2 (PhiForCausalLM, with and
without qk_layernorm). Weights come from a seeded xorshift generator, rounded to the folder's dtype; transformers
evaluates them in float32 on the CPU with eager attention.

Output, in tests/fixtures/transformers/: one folder per model, <case>.f32 (float32 logits, one row of 384 per kept
position) and manifest.json (model, ids, kept positions, and for generation cases the greedy tokens and each step's
top-2 margin).

Needs torch and transformers (written against 4.52.4). Usage: python3 tools/reference/transformers/logit_fixtures.py
"""
import json
import math
import os
import sys

import torch

# Debian's python3-torchvision (0.14) lacks what transformers 4.52's image utilities read at import; these text models
# never use it, so it is hidden from transformers (find_spec answers None for a None entry in sys.modules).
sys.modules.setdefault("torchvision", None)
import transformers  # noqa: E402
from transformers import Phi3Config, Phi3ForCausalLM, PhiConfig, PhiForCausalLM  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "llamacpp"))
from xorshift import Rng  # noqa: E402

import safetensors_file  # noqa: E402
import tiny_tokenizer  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/transformers"))
VOCAB = 384
GENERATED = 16


def prompt(seed, length):
    """BOS, then pseudo-random ids over the whole vocabulary past the three specials."""
    rng = Rng(seed)
    return [1] + [3 + rng.below(VOCAB - 3) for _ in range(length - 1)]


def longrope(pairs, kind):
    """Factor shapes like the released 128k models': short near 1, long growing with the pair index."""
    short = [1.0 + 0.05 * i / pairs for i in range(pairs)]
    long = [1.0 + 12.0 * (i / pairs) ** 2 for i in range(pairs)]
    return {"type": kind, "short_factor": short, "long_factor": long}


def fill(model, seed):
    """Every parameter from xorshift: norms near 1, biases small, matrices fan-in scaled, embeddings O(1) (fan-in
    scaled when they are also the output matrix)."""
    rng = Rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            n = p.numel()
            if "norm" in name and name.endswith("weight"):
                values = [1.0 + 0.2 * rng.symmetric() for _ in range(n)]
            elif name.endswith("bias"):
                values = [0.1 * rng.symmetric() for _ in range(n)]
            elif "embed_tokens" in name and not model.config.tie_word_embeddings:
                values = [rng.symmetric() for _ in range(n)]
            else:
                a = math.sqrt(3.0 / p.shape[1])
                values = [a * rng.symmetric() for _ in range(n)]
            p.copy_(torch.tensor(values, dtype=torch.float64).reshape(p.shape))


def build(name, config, model_class, seed, dtype):
    """Writes the folder and returns the model evaluating the dtype-rounded weights in float32."""
    config._attn_implementation = "eager"
    config.torch_dtype = dtype
    config.architectures = [model_class.__name__]
    model = model_class(config).eval()
    fill(model, seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).float())
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    config.save_pretrained(folder)
    # save_pretrained leaves out a tied output matrix; so do we.
    tied = config.tie_word_embeddings
    state = {k: v.to(dtype) for k, v in model.state_dict().items() if not (tied and k == "lm_head.weight")}
    safetensors_file.write(os.path.join(folder, "model.safetensors"), state)
    tiny_tokenizer.write(folder, VOCAB)
    return model


def phi3_config(*, hidden, heads, kv_heads, ff, layers, max_positions, sliding_window=None, rope_scaling=None,
                original=None, partial_rotary=1.0, tied=False, rope_theta=10000.0):
    return Phi3Config(vocab_size=VOCAB, hidden_size=hidden, intermediate_size=ff, num_hidden_layers=layers,
                      num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=max_positions,
                      original_max_position_embeddings=original or max_positions, rope_theta=rope_theta,
                      rms_norm_eps=1e-5, sliding_window=sliding_window, rope_scaling=rope_scaling,
                      partial_rotary_factor=partial_rotary, tie_word_embeddings=tied, hidden_act="silu",
                      bos_token_id=1, eos_token_id=2, pad_token_id=0)


def phi2_config(*, qk_layernorm):
    # Phi-2: 2560 wide, 32 heads of 80 dims, rotary over 32 of them (0.4), gelu_new, LayerNorm eps 1e-5.
    return PhiConfig(vocab_size=VOCAB, hidden_size=160, intermediate_size=640, num_hidden_layers=2,
                     num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048, rope_theta=10000.0,
                     partial_rotary_factor=0.4, hidden_act="gelu_new", layer_norm_eps=1e-5,
                     qk_layernorm=qk_layernorm, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
                     pad_token_id=0)


def kept_positions(length):
    """Every position of short prompts; of long ones the first 8, every 50th, and the last 8."""
    if length <= 64:
        return list(range(length))
    return sorted(set(range(8)) | set(range(0, length, 50)) | set(range(length - 8, length)))


def main():
    torch.set_grad_enabled(False)
    os.makedirs(OUT, exist_ok=True)
    cases = []

    def logits_case(case, model_name, model, ids):
        logits = model(torch.tensor([ids])).logits[0]
        positions = kept_positions(len(ids))
        logits[positions].contiguous().numpy().astype("<f4").tofile(os.path.join(OUT, case + ".f32"))
        cases.append(dict(name=case, model=model_name, ids=ids, positions=positions))

    def greedy_case(case, model_name, model, ids):
        # Without the KV cache every step is one causal forward over the whole sequence. With it, transformers 4.52.4
        # recomputes the sequence when it first crosses LongRoPE's original context by passing all its tokens with
        # the cache position of the last one alone, which takes the causal mask off the prefix for that step
        # (phi4-mini-greedy's 10th token: 233 cached, 53 uncached and in a single forward over the same tokens).
        out = model.generate(torch.tensor([ids]), max_new_tokens=GENERATED, min_new_tokens=GENERATED,
                             do_sample=False, output_scores=True, return_dict_in_generate=True,
                             eos_token_id=None, pad_token_id=0, use_cache=False)
        tokens = out.sequences[0, len(ids):].tolist()
        margins = []
        for step in out.scores:
            top = torch.topk(step[0].float(), 2).values
            margins.append(float(top[0] - top[1]))
        cases.append(dict(name=case, model=model_name, ids=ids, generated=tokens, margins=margins))

    # Phi-3-mini-4k: 3072 wide, 32 heads of 96, sliding_window 2047 of 4096 positions -> 192 wide, 2 heads of 96,
    # window 47. The same weights as F32, F16 and BF16 files.
    for dtype, suffix in ((torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")):
        name = "phi3-mini-4k-" + suffix
        m = build(name, phi3_config(hidden=192, heads=2, kv_heads=2, ff=256, layers=2, max_positions=4096,
                                    sliding_window=47), Phi3ForCausalLM, seed=11, dtype=dtype)
        logits_case(name, name, m, prompt(101, 40))
        logits_case(name + "-window", name, m, prompt(102, 160))  # longer than the window
        greedy_case(name + "-greedy", name, m, prompt(103, 24))

    # Phi-3-mini-128k (its first release's "su" type): 4096 original of 131072 -> 64 of 256, same attention factor rule.
    name = "phi3-mini-128k"
    m = build(name, phi3_config(hidden=192, heads=2, kv_heads=2, ff=256, layers=2, max_positions=256, original=64,
                                sliding_window=262144, rope_scaling=longrope(48, "su")), Phi3ForCausalLM, seed=12,
              dtype=torch.float32)
    logits_case(name + "-short", name, m, prompt(111, 50))
    logits_case(name + "-long", name, m, prompt(112, 200))
    greedy_case(name + "-greedy", name, m, prompt(113, 56))  # crosses the original context while generating

    # Phi-3-medium: 40 heads, 10 KV heads (4:1), window 2047 -> 4 heads of 32, 1 KV head, window 31; F16 weights.
    name = "phi3-medium-gqa"
    m = build(name, phi3_config(hidden=128, heads=4, kv_heads=1, ff=256, layers=2, max_positions=4096,
                                sliding_window=31), Phi3ForCausalLM, seed=13, dtype=torch.float16)
    logits_case(name, name, m, prompt(121, 100))
    greedy_case(name + "-greedy", name, m, prompt(122, 40))

    # Phi-3.5-mini: LongRoPE ("longrope"), 4096 original of 131072 -> 64 of 256; BF16 weights as released.
    name = "phi3.5-mini"
    m = build(name, phi3_config(hidden=192, heads=2, kv_heads=2, ff=256, layers=2, max_positions=256, original=64,
                                sliding_window=262144, rope_scaling=longrope(48, "longrope")), Phi3ForCausalLM,
              seed=14, dtype=torch.bfloat16)
    logits_case(name + "-short", name, m, prompt(131, 60))
    logits_case(name + "-long", name, m, prompt(132, 180))

    # Phi-4-mini: 24 heads of 128, 8 KV heads, rotary over 3/4 of each head, tied embeddings, LongRoPE
    # -> 2 heads of 128, 1 KV head, 48 rotary pairs.
    name = "phi4-mini"
    m = build(name, phi3_config(hidden=256, heads=2, kv_heads=1, ff=256, layers=2, max_positions=256, original=64,
                                sliding_window=262144, rope_scaling=longrope(48, "longrope"), partial_rotary=0.75,
                                tied=True), Phi3ForCausalLM, seed=15, dtype=torch.bfloat16)
    logits_case(name + "-short", name, m, prompt(141, 40))
    logits_case(name + "-long", name, m, prompt(142, 120))
    greedy_case(name + "-greedy", name, m, prompt(143, 56))

    # Phi-4 (14B): 40 heads of 128, 10 KV heads (4:1), rope_theta 250000, no rope_scaling, no sliding window
    # (null), untied output matrix; BF16 as released -> 4 heads of 128, 1 KV head; one layer keeps the folder small.
    name = "phi4"
    m = build(name, phi3_config(hidden=512, heads=4, kv_heads=1, ff=256, layers=1, max_positions=16384,
                                rope_theta=250000.0), Phi3ForCausalLM, seed=18, dtype=torch.bfloat16)
    logits_case(name, name, m, prompt(181, 40))
    logits_case(name + "-long", name, m, prompt(182, 300))
    greedy_case(name + "-greedy", name, m, prompt(183, 24))

    # Phi-2 (F16 weights as released), a 1500-token prompt included; and the qk_layernorm option.
    name = "phi2"
    m = build(name, phi2_config(qk_layernorm=False), PhiForCausalLM, seed=16, dtype=torch.float16)
    logits_case(name, name, m, prompt(151, 40))
    logits_case(name + "-long", name, m, prompt(152, 1500))
    greedy_case(name + "-greedy", name, m, prompt(153, 24))
    name = "phi2-qk-layernorm"
    m = build(name, phi2_config(qk_layernorm=True), PhiForCausalLM, seed=17, dtype=torch.float32)
    logits_case(name, name, m, prompt(161, 40))

    manifest = dict(transformers=transformers.__version__, torch=torch.__version__.split("+")[0], vocabSize=VOCAB,
                    cases=cases)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("wrote %d cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
