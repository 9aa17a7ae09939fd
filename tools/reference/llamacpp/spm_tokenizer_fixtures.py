#!/usr/bin/env python3
"""Writes llama.cpp's token ids for the tokenizer corpus under Phi-3's SentencePiece vocabulary read from GGUF metadata.

1. The vocabulary is tests/fixtures/tokenizer/phi3/tokenizer.json laid out as `phi quantize` stores it in GGUF
   (tokenizer.ggml.model "llama"; the rule, independent of PhiSharp's code, is spm_gguf_arrays below): one token per
   embedding row (32064; rows past the tokenizer are unused "[PAD<id>]"), llama.cpp's token types, and scores
   that order the pieces as tokenizer.json's merge list does (a piece scores minus the rank of the first merge that
   makes it), since llama.cpp merges by score.
2. A second case removes the single characters "р" and "а" (renamed "[PAD<id>]", and the merges that use them
   dropped) while "ра" stays: llama.cpp
   starts from characters and merges them into "ра"; Hugging Face's BPE turns characters it lacks into byte tokens
   first, which never merge.
3. gguf_model.py writes each vocabulary into a tiny random-weight Phi-3 model (hidden 32, one layer; 2 MB, not
   committed) whose general.name contains "Phi-3", so llama.cpp gives Phi-3's special tokens their rstrip flags as it
   does for Microsoft's GGUF files (and once more under another name, where it does not); tokenize.mjs has llama.cpp
   (node-llama-cpp) tokenize every text.

Texts: ../tokenizer/corpus.jsonl, and spm_texts.jsonl (written here: the texts of transformers 5's ids in
shared/fixtures/tokenizers/phi3/transformers5.jsonl, then EXTRA_TEXTS).
Output, in tests/fixtures/tokenizer_gguf/: <case>.ids.jsonl (not for the renamed case) and <case>.texts.jsonl (llama.cpp's ids with (`special`)
and without (`plain`) special-token parsing, no BOS/EOS), spm_texts.jsonl, and spm_vocabularies.json (per case: the
removed pieces, general.name and SHA-256 digests of the token, score and type arrays llama.cpp read).

Needs python3 and node; run `npm install` in this folder first (it brings node-llama-cpp's llama.cpp binaries).
Usage: python3 tools/reference/llamacpp/spm_tokenizer_fixtures.py
"""
import json
import os
import subprocess
import tempfile

import gguf_model
from bpe_vocab import digest
from gguf_model import GGUF_ARRAY, GGUF_BOOL, GGUF_FLOAT32, GGUF_INT32, GGUF_STRING, GGUF_UINT32

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "../../.."))
OUT = os.path.join(REPO, "tests/fixtures/tokenizer_gguf")
CORPUS = os.path.join(REPO, "tests/fixtures/tokenizer/corpus.jsonl")
PHI3 = os.path.join(REPO, "tests/fixtures/tokenizer/phi3")
EMBEDDING_ROWS = 32064  # Phi-3-mini's vocab_size: the GGUF has a token per row

# llama.cpp's llama_token_type values.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

# case: (pieces removed from tokenizer.json, general.name). llama.cpp restores Phi-3's rstrip flags by general.name, so
# the vocabulary is also written under a name without "phi3", where the whitespace after a chat token stays.
CASES = {
    "phi3": ([], "Phi-3-mini-4k-instruct"),
    "phi3_without_ra_chars": (["р", "а"], "Phi-3-mini-4k-instruct"),
    "phi3_other_name": ([], "spm-fixture"),
}

# Texts around "ра" (its characters, alone and inside words), and whitespace after a chat token that only Unicode
# counts as whitespace (no-break space U+00A0, ideographic space U+3000) next to ASCII tab, vertical tab and form feed.
EXTRA_TEXTS = ["ра", "Прага", "рама", " ра", "вправа", "Барабан рад", "<|user|>\nрадио<|end|>\n", "ара ар ра",
               "<|user|>\u00a0Hi<|end|>\u3000\t<|assistant|>\u000b\u000cOk"]


def find_shared_fixtures():
    folder = REPO
    while True:
        candidate = os.path.join(folder, "shared/fixtures")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            raise SystemExit("shared/fixtures not found beside or above the repository")
        folder = parent


def without_pieces(tokenizer, removed):
    """tokenizer.json whose given pieces are renamed "[PAD<id>]" (ids stay where they are), without the merges that use
    them."""
    model = dict(tokenizer["model"])
    model["vocab"] = {("[PAD%d]" % i if piece in removed else piece): i for piece, i in model["vocab"].items()}
    model["merges"] = [m for m in model["merges"] if not any(p in removed for p in _pair(m))]
    return {**tokenizer, "model": model}


def _pair(merge):
    return merge.split(" ") if isinstance(merge, str) else merge


def spm_gguf_arrays(tokenizer):
    """tokens, scores, types as llama.cpp's converter lays out a SentencePiece vocabulary: byte pieces <0xHH> BYTE, the
    unknown piece UNKNOWN, added tokens CONTROL when special and USER_DEFINED otherwise, unused rows UNUSED."""
    vocab, merges = tokenizer["model"]["vocab"], tokenizer["model"]["merges"]
    unk = tokenizer["model"].get("unk_token")
    size = max(EMBEDDING_ROWS, max(list(vocab.values()) + [t["id"] for t in tokenizer["added_tokens"]]) + 1)
    tokens = ["[PAD%d]" % i for i in range(size)]
    scores = [-10000.0] * size
    types = [UNUSED] * size
    first_merge = {}
    for rank, merge in enumerate(merges):
        first_merge.setdefault("".join(_pair(merge)), rank)
    for piece, i in vocab.items():
        tokens[i] = piece
        is_byte = len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">")
        types[i] = UNKNOWN if piece == unk else BYTE if is_byte else NORMAL
        scores[i] = 0.0 if is_byte or piece == unk else -float(first_merge.get(piece, len(merges) + i))
    for added in tokenizer["added_tokens"]:
        i = added["id"]
        tokens[i] = added["content"]
        if types[i] == UNKNOWN:
            continue
        types[i] = CONTROL if added["special"] else USER_DEFINED
        scores[i] = 0.0 if added["content"] in vocab else -1000.0
    return tokens, scores, types


def metadata(tokens, scores, types, tokenizer):
    ids = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    with open(os.path.join(PHI3, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return [
        ("tokenizer.ggml.model", GGUF_STRING, "llama"),
        ("tokenizer.ggml.pre", GGUF_STRING, "default"),
        ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, tokens)),
        ("tokenizer.ggml.scores", GGUF_ARRAY, (GGUF_FLOAT32, scores)),
        ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, types)),
        ("tokenizer.ggml.bos_token_id", GGUF_UINT32, ids[config["bos_token"]]),
        ("tokenizer.ggml.eos_token_id", GGUF_UINT32, ids[config["eos_token"]]),
        ("tokenizer.ggml.unknown_token_id", GGUF_UINT32, ids[config["unk_token"]]),
        ("tokenizer.ggml.padding_token_id", GGUF_UINT32, ids[config["pad_token"]]),
        ("tokenizer.ggml.add_bos_token", GGUF_BOOL, config["add_bos_token"]),
        ("tokenizer.ggml.add_eos_token", GGUF_BOOL, config["add_eos_token"]),
    ]


def write_texts(path):
    with open(os.path.join(find_shared_fixtures(), "tokenizers/phi3/transformers5.jsonl"), encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    with open(path, "w", encoding="utf-8") as f:
        for text in texts + EXTRA_TEXTS:
            f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    texts = os.path.join(OUT, "spm_texts.jsonl")
    write_texts(texts)
    with open(os.path.join(PHI3, "tokenizer.json"), encoding="utf-8") as f:
        phi3 = json.load(f)
    manifest, jobs = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for case, (removed, name) in CASES.items():
            tokenizer = without_pieces(phi3, removed) if removed else phi3
            tokens, scores, types = spm_gguf_arrays(tokenizer)
            path = os.path.join(tmp, case + ".gguf")
            gguf_model.phi3(path, seed=13, hidden=32, heads=4, kv_heads=4, ff=64, layers=1, vocab=len(tokens),
                            context=256, tied=True, vocabulary=metadata(tokens, scores, types, tokenizer),
                            name=name)
            print("%s: %d tokens, %.1f MB" % (case, len(tokens), os.path.getsize(path) / 1e6))
            manifest[case] = {
                "removed": removed,
                "name": name,
                "tokenCount": len(tokens),
                "tokensSha256": digest(tokens),
                "scoresSha256": digest(["%d" % s for s in scores]),
                "typesSha256": digest([str(t) for t in types]),
            }
            if case != "phi3_other_name":
                jobs.append({"model": path, "corpus": CORPUS, "out": os.path.join(OUT, case + ".ids.jsonl"), "special": True})
            jobs.append({"model": path, "corpus": texts, "out": os.path.join(OUT, case + ".texts.jsonl"), "special": True})
        jobs_path = os.path.join(tmp, "jobs.json")
        with open(jobs_path, "w") as f:
            json.dump(jobs, f)
        subprocess.run(["node", os.path.join(HERE, "tokenize.mjs"), jobs_path], check=True)
    with open(os.path.join(OUT, "spm_vocabularies.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
