"""tokenizer.json / tokenizer_config.json for the fixtures' 384-token vocabulary, in the layout of Phi-3's released
tokenizer.json (SentencePiece-style BPE with byte fallback). The logit fixtures are evaluated from token ids; the
folder needs a tokenizer only because a model folder is not complete without one."""
import json
import os

from gguf_model import CHAT_TOKENS as CHAT, spm_tokens  # the GGUF fixtures' vocabulary (tools/reference/llamacpp)


def write(folder, size):
    vocab = spm_tokens(size)
    special = {"<unk>", "<s>", "</s>", *CHAT}
    added = [dict(id=i, content=t, single_word=False, lstrip=False, rstrip=t in CHAT, normalized=False, special=True)
             for i, t in enumerate(vocab) if t in special]
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None, "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                  "vocab": {t: i for i, t in enumerate(vocab)}, "merges": []},
    }
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    config = {"add_bos_token": False, "add_eos_token": False, "bos_token": "<s>", "eos_token": "<|end|>",
              "unk_token": "<unk>", "pad_token": "<unk>", "model_max_length": 4096}
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
