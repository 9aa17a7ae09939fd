#!/usr/bin/env python3
"""Writes llama.cpp's token ids under the byte-level BPE tokenizer metadata that `phi quantize` writes.

1. Three tiny Hugging Face folders, each with the tokenizer files of a Phi model whose tokenizer is byte-level BPE:
   - phi4mini_o200k: the tiny Phi-3 folder of tests/fixtures/transformers/phi3-mini-4k-f32 with a tokenizer.json in
     Phi-4-mini's layout (o200k ranks, Split regex + ByteLevel, special tokens as added tokens);
   - phi4_cl100k: the same with cl100k ranks in Phi-4's layout;
   - phi3small_tiktoken: the tiny Phi-3-small folder of tests/fixtures/transformers/phi3small/phi3-small-8k without
     tokenizer.json, with cl100k_base.tiktoken instead, as Microsoft's Phi-3-small repositories ship it.
   Vocab and merges come from the shared tiktoken rank files (bpe_vocab.py); tokenizer_config.json names
   <|endoftext|> as bos and eos.
2. `phi quantize --type f16` (dotnet run on src/PhiSharp.Cli) converts each folder.
3. The tokenizer.* keys of each converted file are copied unchanged into a tiny random Phi-3 GGUF (gguf_model.py) with
   one embedding row per token: the tiny folders' models have 384 rows, fewer than these vocabularies, and llama.cpp
   has no Phi-3-small architecture, so it could not load the converted files themselves. tokenize.mjs has llama.cpp
   (node-llama-cpp) tokenize the texts: the corpus, and for Phi-3-small also the chat lines of
   ../tokenizer/phi3small.ids.jsonl.

Output, in tests/fixtures/tokenizer_gguf/: quantized_<case>.ids.jsonl (llama.cpp's ids with (`special`) and without
(`plain`) special-token parsing, no BOS/EOS) and quantized_vocabularies.json (per case: what the folder held, the
tokenizer.ggml.model / pre names and SHA-256 digests of the token, type and merge arrays phi quantize wrote, so the
test can check it writes exactly what llama.cpp read).

Needs python3, node and the .NET SDK; run `npm install` in this folder first.
Usage: python3 tools/reference/llamacpp/quantized_tokenizer_fixtures.py
"""
import json
import os
import shutil
import struct
import subprocess
import tempfile

import bpe_vocab
import gguf_model
from tokenizer_fixtures import find_tiktoken_dir

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "../../.."))
OUT = os.path.join(REPO, "tests/fixtures/tokenizer_gguf")
CORPUS = os.path.join(REPO, "tests/fixtures/tokenizer/corpus.jsonl")
PHI3SMALL_TEXTS = os.path.join(REPO, "tests/fixtures/tokenizer/phi3small.ids.jsonl")
PHI3_FOLDER = os.path.join(REPO, "tests/fixtures/transformers/phi3-mini-4k-f32")
PHI3SMALL_FOLDER = os.path.join(REPO, "tests/fixtures/transformers/phi3small/phi3-small-8k")

# The split regexes of Llama-3's / Phi-4's tokenizer.json (cl100k) and Phi-4-mini's (o200k).
CL100K_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
_UPPER, _LOWER = r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"
_CONTRACTION = "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
O200K_REGEX = (r"[^\r\n\p{L}\p{N}]?" + _UPPER + "*" + _LOWER + "+" + _CONTRACTION + "?|"
               + r"[^\r\n\p{L}\p{N}]?" + _UPPER + "+" + _LOWER + "*" + _CONTRACTION + "?"
               + r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# case: (rank file, split regex, special tokens {text: id}) for tokenizer.json cases; None for Phi-3-small's tiktoken.
# The special tokens are tiktoken's for the encoding (plus Phi-4's chat markers, which cl100k's corpus lines do not
# hold), so that tiktoken's ids of the corpus (../tokenizer/*.ids.jsonl) stay the reference for every line.
CASES = {
    "phi4mini_o200k": ("o200k_base", O200K_REGEX, {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
    "phi4_cl100k": ("cl100k_base", CL100K_REGEX, {
        "<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
        "<|im_start|>": 100264, "<|im_end|>": 100265, "<|im_sep|>": 100266, "<|endofprompt|>": 100276}),
    "phi3small_tiktoken": None,
}

TOKENIZER_CONFIG = {
    "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "add_bos_token": False,
    "chat_template": "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endfor %}",
}


def tokenizer_json(tiktoken_path, regex, specials):
    texts = bpe_vocab.read_ranks(tiktoken_path)
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for t, i in specials.items()]
    return {
        "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "ignore_merges": True, "vocab": {t: i for i, t in enumerate(texts)},
                  "merges": bpe_vocab.recover_merges(texts)},
    }


def make_folder(case, folder, tiktoken_dir):
    spec = CASES[case]
    source = PHI3SMALL_FOLDER if spec is None else PHI3_FOLDER
    os.makedirs(folder)
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(source, name), folder)
    if spec is None:
        shutil.copy(os.path.join(tiktoken_dir, "cl100k_base.tiktoken"), folder)
    else:
        rank_file, regex, specials = spec
        with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_json(os.path.join(tiktoken_dir, rank_file + ".tiktoken"), regex, specials), f, ensure_ascii=False)
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(TOKENIZER_CONFIG, f)


def read_tokenizer_metadata(path):
    """The tokenizer.* entries of a GGUF file, as gguf_model.py's (key, kind, value) metadata entries."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"GGUF":
        raise ValueError(path + " is not a GGUF file")
    pos = 24
    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def read(kind):
        nonlocal pos
        if kind == gguf_model.GGUF_STRING:
            (n,) = struct.unpack_from("<Q", data, pos)
            pos += 8 + n
            return data[pos - n:pos].decode("utf-8")
        if kind == gguf_model.GGUF_ARRAY:
            element, n = struct.unpack_from("<IQ", data, pos)
            pos += 12
            return element, [read(element) for _ in range(n)]
        (value,) = struct.unpack_from(scalar[kind], data, pos)
        pos += struct.calcsize(scalar[kind])
        return value

    (kv_count,) = struct.unpack_from("<Q", data, 16)
    entries = []
    for _ in range(kv_count):
        key = read(gguf_model.GGUF_STRING)
        (kind,) = struct.unpack_from("<I", data, pos)
        pos += 4
        value = read(kind)
        if key.startswith("tokenizer."):
            entries.append((key, kind, value))
    return entries


def main():
    tiktoken_dir = find_tiktoken_dir()
    subprocess.run(["dotnet", "build", os.path.join(REPO, "src/PhiSharp.Cli"), "-c", "Release", "-v", "q"], check=True)
    manifest, jobs = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            folder = os.path.join(tmp, case)
            make_folder(case, folder, tiktoken_dir)
            converted = os.path.join(tmp, case + ".f16.gguf")
            subprocess.run(["dotnet", "run", "--no-build", "--project", os.path.join(REPO, "src/PhiSharp.Cli"), "-c", "Release",
                            "--", "quantize", "--model", folder, "--out", converted, "--type", "f16"], check=True)
            entries = read_tokenizer_metadata(converted)
            values = {key: value for key, _, value in entries}
            tokens, types, merges = values["tokenizer.ggml.tokens"][1], values["tokenizer.ggml.token_type"][1], values["tokenizer.ggml.merges"][1]
            path = os.path.join(tmp, case + ".gguf")
            gguf_model.phi3(path, seed=17, hidden=32, heads=4, kv_heads=4, ff=64, layers=1, vocab=len(tokens), context=256,
                            tied=True, vocabulary=entries)
            spec = CASES[case]
            manifest[case] = {
                "folder": "phi3small" if spec is None else "tokenizer.json",
                "rankFile": "cl100k_base" if spec is None else spec[0],
                "added": [] if spec is None else [{"id": i, "text": t} for t, i in spec[2].items()],
                "model": values["tokenizer.ggml.model"], "pre": values["tokenizer.ggml.pre"],
                "tokenCount": len(tokens), "mergeCount": len(merges),
                "tokensSha256": bpe_vocab.digest(tokens),
                "typesSha256": bpe_vocab.digest([str(t) for t in types]),
                "mergesSha256": bpe_vocab.digest(merges),
            }
            print("%s: %s, pre %s, %d tokens, %d merges" % (case, values["tokenizer.ggml.model"], values["tokenizer.ggml.pre"], len(tokens), len(merges)))
            texts = PHI3SMALL_TEXTS if spec is None else CORPUS
            jobs.append({"model": path, "corpus": texts, "out": os.path.join(OUT, "quantized_%s.ids.jsonl" % case), "special": True})
        jobs_path = os.path.join(tmp, "jobs.json")
        with open(jobs_path, "w") as f:
            json.dump(jobs, f)
        subprocess.run(["node", os.path.join(HERE, "tokenize.mjs"), jobs_path], check=True)
    with open(os.path.join(OUT, "quantized_vocabularies.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
