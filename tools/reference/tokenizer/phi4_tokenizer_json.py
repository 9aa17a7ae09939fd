#!/usr/bin/env python3
"""Phi-4's tokenizer.json as transformers builds it from cl100k_base: transformers' own TikTokenConverter.

microsoft/phi-4's tokenizer is cl100k_base (100256 ranks) plus 96 added tokens at 100256-100351. Its tokenizer.json
(several MB) could not be had here, so the folder is the one transformers makes from a tiktoken file: the vocabulary
and merges come from TikTokenConverter.extract_vocab_merges_from_model (transformers 4.52.4, run unchanged), and the
tokenizer.json around them is what TikTokenConverter.converted() assembles (BPE with ignore_merges, pre-tokenizer
Split(cl100k pattern, isolated) + ByteLevel(use_regex=False), ByteLevel decoder, ByteLevel(trim_offsets=False)
post-processor), with the added tokens of tests/fixtures/tokenizer/phi4/tokenizer_config.json.

Writes
  tests/fixtures/tokenizer/phi4/tokenizer.template.json: that tokenizer.json with model.vocab and model.merges empty
    (the tests rebuild both from shared/fixtures/tokenizers/tiktoken/cl100k_base.tiktoken with the converter's rule)
  tests/fixtures/tokenizer/phi4/tables.json: the number of merges and the SHA-256 of the merges, one "a b" per line,
    so the tests can prove their rebuilt table is transformers' table
  OUT (argument): the complete tokenizer.json, for phi4_fixtures.mjs (not committed: about 7 MB)

Needs transformers on PYTHONPATH (the environment of tests/fixtures/transformers/README.md). The `tiktoken` package is
not needed: when it is missing, tiktoken.load.load_tiktoken_bpe is provided as tiktoken defines it for a local file
(base64 token, space, rank per line).
Usage: python3 tools/reference/tokenizer/phi4_tokenizer_json.py OUT
"""
import base64
import hashlib
import json
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "../../.."))
FIXTURE = os.path.join(REPO, "tests/fixtures/tokenizer/phi4")


def shared_fixtures():
    for up in (REPO, os.path.dirname(REPO), os.path.dirname(os.path.dirname(REPO))):
        candidate = os.path.join(up, "shared", "fixtures")
        if os.path.isdir(candidate):
            return candidate
    sys.exit("shared/fixtures not found beside the repository or above it")


def provide_tiktoken_loader():
    try:
        import tiktoken.load  # noqa: F401
        return
    except ImportError:
        pass

    def load_tiktoken_bpe(path, expected_hash=None):
        with open(path, "rb") as f:
            return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in f if line.strip())}

    package = types.ModuleType("tiktoken")
    loader = types.ModuleType("tiktoken.load")
    loader.load_tiktoken_bpe = load_tiktoken_bpe
    package.load = loader
    sys.modules["tiktoken"] = package
    sys.modules["tiktoken.load"] = loader


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    import transformers
    from transformers.convert_slow_tokenizer import TikTokenConverter

    provide_tiktoken_loader()  # after transformers, which probes for the package while importing

    ranks = os.path.join(shared_fixtures(), "tokenizers", "tiktoken", "cl100k_base.tiktoken")
    with open(os.path.join(FIXTURE, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    converter = TikTokenConverter(vocab_file=ranks)  # its default pattern is cl100k's
    vocab, merges = converter.extract_vocab_merges_from_model(ranks)
    if len(vocab) != 100256:
        sys.exit("cl100k_base should hold 100256 ranks, not %d" % len(vocab))

    # converted(): added tokens go in as AddedToken(content, normalized=False, special=True); the folder's
    # tokenizer_config.json then gives their ids and flags, which is what the template records.
    added = []
    for key in sorted(config["added_tokens_decoder"], key=int):
        t = config["added_tokens_decoder"][key]
        added.append(dict(id=int(key), content=t["content"], single_word=t["single_word"], lstrip=t["lstrip"],
                          rstrip=t["rstrip"], normalized=t["normalized"], special=t["special"]))
    if [t["id"] for t in added] != list(range(100256, 100352)):
        sys.exit("Phi-4's added tokens are ids 100256-100351")

    template = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": converter.pattern}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": {}, "merges": []},
    }
    with open(os.path.join(FIXTURE, "tokenizer.template.json"), "w", encoding="utf-8") as f:
        json.dump(template, f, indent=1, ensure_ascii=False)
        f.write("\n")

    lines = "\n".join("%s %s" % pair for pair in merges).encode("utf-8")
    tables = dict(transformers=transformers.__version__, ranks=len(vocab), merges=len(merges),
                  mergesSha256=hashlib.sha256(lines).hexdigest())
    with open(os.path.join(FIXTURE, "tables.json"), "w", encoding="utf-8") as f:
        json.dump(tables, f, indent=1)
        f.write("\n")

    template["model"]["vocab"] = vocab
    template["model"]["merges"] = ["%s %s" % pair for pair in merges]
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(template, f, ensure_ascii=False)
    print("%d ranks, %d merges (sha256 %s) -> %s" % (len(vocab), len(merges), tables["mergesSha256"], sys.argv[1]))


if __name__ == "__main__":
    main()
