#!/usr/bin/env python3
"""Writes GGUF logit fixtures whose reference logits come from llama.cpp (an implementation independent of PhiSharp).

1. Tiny random-weight Phi models are written as F16 GGUF files by gguf_model.py (standard library only).
2. llama.cpp's own quantizer (llama_model_quantize in libllama, the code behind llama-quantize) makes every other
   tensor type from the F16 file: "pure" files where every matrix has the one type, and the usual Q4_K_M mix.
3. logits.mjs runs llama.cpp on each file (node-llama-cpp) and writes its logits for the listed positions.

Output, in tests/fixtures/llamacpp/: the GGUF files, the logits (<case>.f32: positions x vocabulary float32) and
manifest.json describing every case. The F32 case has no file of its own: the test upcasts the F16 file (exact),
which is what llama.cpp's F32 file holds.

Needs python3 and node; run `npm install` in this folder first (it brings node-llama-cpp's llama.cpp binaries).
Usage: python3 tools/reference/llamacpp/logit_fixtures.py
"""
import json
import math
import os
import subprocess
import tempfile

import gguf_model
from llama_quantize import quantize
from xorshift import Rng

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/llamacpp"))
VOCAB = 384

# The types made from the F16 file, and whether every matrix gets the type ("pure") or llama.cpp's usual mix.
TYPES = {
    "f32": True, "bf16": True, "q8_0": True, "q4_0": True, "q4_1": True, "q5_0": True, "q5_1": True, "q2_k": True,
    "q3_k": True, "q4_k": True, "q5_k": True, "q6_k": True, "q4_k_m": False,
}


def prompt(seed, length):
    """BOS, then pseudo-random ids over the whole vocabulary past the three specials."""
    rng = Rng(seed)
    return [1] + [3 + rng.below(VOCAB - 3) for _ in range(length - 1)]


def longrope_factors():
    """Factor shapes like Phi-3-mini-128k's: short near 1, long growing with the pair index."""
    pairs = 16
    short = [1.0 + 0.05 * i / pairs for i in range(pairs)]
    long = [1.0 + 12.0 * (i / pairs) ** 2 for i in range(pairs)]
    original, maximum = 512, 2048
    s = maximum / original
    return original, short, long, math.sqrt(1 + math.log(s) / math.log(original))


def main():
    os.makedirs(OUT, exist_ok=True)
    small = dict(hidden=128, heads=4, ff=256, layers=2, vocab=VOCAB)
    # mini: Phi-3-mini's shape scaled to 256 wide (K-quant blocks are 256 long); every tensor type is made from it.
    gguf_model.phi3(os.path.join(OUT, "phi3-mini-f16.gguf"), seed=1, hidden=256, heads=4, kv_heads=4, ff=256,
                    layers=2, vocab=VOCAB, context=4096)
    # gqa-swa: Phi-3-medium's 4:1 grouped-query attention, and a sliding window llama.cpp ignores for phi3.
    gguf_model.phi3(os.path.join(OUT, "phi3-gqa-swa-f16.gguf"), seed=2, kv_heads=1, context=4096, sliding_window=16,
                    **small)
    # longrope: Phi-3-mini-128k's LongRoPE (short/long factors, attention factor), 512 original / 2048 positions.
    gguf_model.phi3(os.path.join(OUT, "phi3-longrope-f16.gguf"), seed=3, kv_heads=4, context=2048,
                    longrope=longrope_factors(), **small)
    # tied-partial: Phi-4-mini's tied embeddings (no output.weight) and partial rotary (3/4 of each head).
    gguf_model.phi3(os.path.join(OUT, "phi3-tied-partial-f16.gguf"), seed=4, kv_heads=2, context=4096,
                    rotary_dim=24, tied=True, **small)
    gguf_model.phi2(os.path.join(OUT, "phi2-f16.gguf"), seed=5, hidden=128, heads=4, ff=512, layers=2,
                    vocab=VOCAB, context=2048, rotary_dim=16)

    scratch = tempfile.mkdtemp()
    cases, jobs = [], []

    def case(name, model, ids, context, positions, ignore_sliding_window=False, reference_model=None):
        cases.append(dict(name=name, model=model, reference=os.path.basename(reference_model or model),
                          ids=ids, context=context, positions=positions, ignoreSlidingWindow=ignore_sliding_window))
        jobs.append(dict(model=reference_model or os.path.join(OUT, model), ids=ids, context=context,
                         positions=positions, vocabSize=VOCAB, out=os.path.join(OUT, name + ".f32")))

    mini_prompt = prompt(10, 40)
    all_positions = list(range(len(mini_prompt)))
    case("phi3-mini-f16", "phi3-mini-f16.gguf", mini_prompt, 256, all_positions)
    for name, pure in TYPES.items():
        target = os.path.join(OUT if name != "f32" else scratch, "phi3-mini-%s.gguf" % name)
        quantize(os.path.join(OUT, "phi3-mini-f16.gguf"), target, name, pure)
        case("phi3-mini-" + name, "phi3-mini-%s.gguf" % name if name != "f32" else "phi3-mini-f16.gguf",
             mini_prompt, 256, all_positions, reference_model=target)

    swa_prompt = prompt(11, 48)
    case("phi3-gqa-swa-f16", "phi3-gqa-swa-f16.gguf", swa_prompt, 256, list(range(48)), ignore_sliding_window=True)
    # Within the original context llama.cpp uses the short factors (n_ctx <= 512), beyond it the long ones
    # (n_ctx > 512) for every position; HF (and PhiSharp) choose by sequence length, so both agree on these.
    case("phi3-longrope-short", "phi3-longrope-f16.gguf", prompt(12, 100), 512, list(range(0, 100, 9)) + [99])
    case("phi3-longrope-long", "phi3-longrope-f16.gguf", prompt(13, 600), 2048, list(range(0, 600, 53)) + [599])
    case("phi3-tied-partial-f16", "phi3-tied-partial-f16.gguf", prompt(14, 40), 256, list(range(40)))
    phi2_prompt = prompt(15, 40)
    case("phi2-f16", "phi2-f16.gguf", phi2_prompt, 256, list(range(40)))
    case("phi2-long-f16", "phi2-f16.gguf", prompt(16, 1500), 2048, list(range(0, 1500, 97)) + [1499])
    phi2_q4_0 = os.path.join(OUT, "phi2-q4_0.gguf")
    quantize(os.path.join(OUT, "phi2-f16.gguf"), phi2_q4_0, "q4_0", True)
    case("phi2-q4_0", "phi2-q4_0.gguf", phi2_prompt, 256, list(range(40)))

    jobs_path = os.path.join(scratch, "jobs.json")
    with open(jobs_path, "w") as f:
        json.dump(jobs, f)
    subprocess.run(["node", os.path.join(HERE, "logits.mjs"), jobs_path], check=True)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        f.write('{"vocabSize": %d, "cases": [\n' % VOCAB)
        f.write(",\n".join(json.dumps(c) for c in cases))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
