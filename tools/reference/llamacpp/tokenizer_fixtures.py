#!/usr/bin/env python3
"""Writes llama.cpp's token ids for the tokenizer corpus under real byte-level BPE vocabularies read from GGUF metadata.

1. bpe_vocab.py turns each tiktoken rank file (gpt2, cl100k_base, o200k_base from shared/fixtures/tokenizers/tiktoken)
   into GGUF tokenizer arrays: tokens, token types and merges recovered from the ranks.
2. gguf_model.py writes a tiny random-weight model carrying that vocabulary (Phi-2 shape for GPT-2's vocabulary, as
   Phi-2 uses it; Phi-3 shape with tied embeddings for cl100k and o200k), into a temporary folder: with 50k-200k
   vocabulary rows the files are 3-13 MB, too big to commit.
3. tokenize.mjs loads each file in llama.cpp (node-llama-cpp) and tokenizes every corpus line.

Output, in tests/fixtures/tokenizer_gguf/: <case>.ids.jsonl (llama.cpp's ids per corpus line), <case>.stress.jsonl
(per stress string) and vocabularies.json
(per case: the rank file, the added tokens, tokenizer.ggml.pre, and SHA-256 digests of the token, type and merge arrays
the GGUF held, so the test can check that it rebuilt exactly the vocabulary llama.cpp read).

Needs python3 and node; run `npm install` in this folder first (it brings node-llama-cpp's llama.cpp binaries).
Usage: python3 tools/reference/llamacpp/tokenizer_fixtures.py [TIKTOKEN_DIR]
"""
import json
import os
import subprocess
import sys
import tempfile

import bpe_vocab
import gguf_model

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "../../.."))
OUT = os.path.join(REPO, "tests/fixtures/tokenizer_gguf")
CORPUS = os.path.join(REPO, "tests/fixtures/tokenizer/corpus.jsonl")
GPT2_TEMPLATE = os.path.join(REPO, "tests/fixtures/tokenizer/gpt2/tokenizer.template.json")

STRESS = os.path.join(REPO, "tests/fixtures/tokenizer/bytelevel_stress.jsonl")

# case: (rank file, tokenizer.ggml.pre, model shape, texts). Texts: "corpus" (the 255 lines, ids with and without
# special-token parsing) and/or "stress" (the 400 random strings of bytelevel_stress.jsonl, plain ids). GPT-2's
# vocabulary with Phi-2's added tokens is written under both names llama.cpp gives its pattern ("phi-2" is what
# llama.cpp's converter writes for Phi-2); the stress strings use GPT-2 without them, as tiktoken's gpt2 has none.
# cl100k is written twice: llama.cpp knows its pattern as "dbrx" (merges applied) and "llama-bpe" (the same pattern,
# and a word that is a whole token is taken whole: ignore_merges).
CASES = {
    "gpt2": ("gpt2", "gpt-2", "phi2", ["corpus"]),
    "gpt2_phi2": ("gpt2", "phi-2", "phi2", ["corpus"]),
    "gpt2_tiktoken": ("gpt2", "gpt-2", "phi2", ["stress"]),
    "cl100k_dbrx": ("cl100k_base", "dbrx", "phi3", ["corpus", "stress"]),
    "cl100k_llama_bpe": ("cl100k_base", "llama-bpe", "phi3", ["corpus", "stress"]),
    "o200k": ("o200k_base", "gpt-4o", "phi3", ["corpus", "stress"]),
}


def find_tiktoken_dir():
    folder = REPO
    while True:
        candidate = os.path.join(folder, "shared/fixtures/tokenizers/tiktoken")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            raise SystemExit("shared/fixtures/tokenizers/tiktoken not found; pass its path")
        folder = parent


def added_tokens(case, rank_file, tiktoken_dir):
    """{id: (text, is_control)}: tiktoken's special tokens as control tokens; for Phi-2 the added tokens of the
    CodeGen-style tokenizer.json the GPT-2 tests use (<|endoftext|> control, whitespace runs user-defined)."""
    if case in ("gpt2", "gpt2_phi2"):
        with open(GPT2_TEMPLATE, encoding="utf-8") as f:
            return {t["id"]: (t["content"], t["special"]) for t in json.load(f)["added_tokens"]}
    specials = bpe_vocab.read_special_tokens(os.path.join(tiktoken_dir, rank_file + ".json"))
    return {token_id: (text, True) for text, token_id in specials.items()}


def write_model(path, shape, vocabulary, size):
    if shape == "phi2":
        gguf_model.phi2(path, seed=11, hidden=32, heads=4, ff=64, layers=1, vocab=size, context=256, rotary_dim=8,
                        vocabulary=vocabulary)
    else:
        gguf_model.phi3(path, seed=12, hidden=32, heads=4, kv_heads=4, ff=64, layers=1, vocab=size, context=256,
                        tied=True, vocabulary=vocabulary)


def main():
    tiktoken_dir = sys.argv[1] if len(sys.argv) > 1 else find_tiktoken_dir()
    os.makedirs(OUT, exist_ok=True)
    manifest, jobs = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for case, (rank_file, pre, shape, texts) in CASES.items():
            added = added_tokens(case, rank_file, tiktoken_dir)
            tokens, types, merges = bpe_vocab.gguf_vocabulary(os.path.join(tiktoken_dir, rank_file + ".tiktoken"), added)
            end_of_text = next(i for i, (text, _) in added.items() if text == "<|endoftext|>")
            path = os.path.join(tmp, case + ".gguf")
            write_model(path, shape, bpe_vocab.metadata(tokens, types, merges, pre, end_of_text), len(tokens))
            print("%s: %d tokens, %d merges, %.1f MB" % (case, len(tokens), len(merges), os.path.getsize(path) / 1e6))
            manifest[case] = {
                "rankFile": rank_file, "pre": pre, "architecture": shape, "endOfText": end_of_text,
                "added": [{"id": i, "text": t, "control": c} for i, (t, c) in sorted(added.items())],
                "tokenCount": len(tokens), "mergeCount": len(merges),
                "tokensSha256": bpe_vocab.digest(tokens),
                "typesSha256": bpe_vocab.digest([str(t) for t in types]),
                "mergesSha256": bpe_vocab.digest(merges),
            }
            if "corpus" in texts:
                jobs.append({"model": path, "corpus": CORPUS, "out": os.path.join(OUT, case + ".ids.jsonl"), "special": True})
            if "stress" in texts:
                jobs.append({"model": path, "corpus": STRESS, "out": os.path.join(OUT, case + ".stress.jsonl"), "special": False})
        jobs_path = os.path.join(tmp, "jobs.json")
        with open(jobs_path, "w") as f:
            json.dump(jobs, f)
        subprocess.run(["node", os.path.join(HERE, "tokenize.mjs"), jobs_path], check=True)
    with open(os.path.join(OUT, "vocabularies.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
