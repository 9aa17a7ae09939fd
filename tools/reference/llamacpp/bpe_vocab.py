"""GGUF byte-level BPE vocabularies (tokenizer.ggml.model = "gpt2") built from tiktoken rank files, standard library only.

A GGUF BPE vocabulary is what llama.cpp's converter writes for GPT-2-style tokenizers: every token's bytes in GPT-2's
byte-level alphabet (tokenizer.ggml.tokens), a type per token (1 normal, 3 control, 4 user-defined, 5 unused) and the
merges, best first ("left right"). A tiktoken file has only the ranks; the merges are recovered the way tiktoken's and
HF's converters do it: BPE over a token's bytes, allowing only lower ranks, stops at the two parts that merge into it,
and that pair's merge gets the token's rank. Ids missing from a tiktoken encoding (between its last rank and its
special tokens) are filled with unused "[PAD<id>]" tokens, as llama.cpp's converter does, so that ids stay aligned.
"""
import base64
import hashlib
import json

from gguf_model import GGUF_ARRAY, GGUF_BOOL, GGUF_INT32, GGUF_STRING, GGUF_UINT32

NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5


def byte_alphabet():
    """GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others map to U+0100 upwards."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def read_ranks(path):
    """The token texts (byte-level alphabet) in rank order; the ranks must be 0, 1, 2, ..."""
    alphabet = byte_alphabet()
    texts = []
    with open(path, encoding="ascii") as f:
        for line in f:
            if not line.strip():
                continue
            encoded, rank = line.split()
            if int(rank) != len(texts):
                raise ValueError("%s: ranks are not 0, 1, 2, ... (line %d)" % (path, len(texts) + 1))
            texts.append("".join(alphabet[b] for b in base64.b64decode(encoded)))
    return texts


def recover_merges(texts):
    """One merge per multi-byte token, in rank order: the pair that BPE with only lower ranks leaves for that token."""
    rank = {t: i for i, t in enumerate(texts)}
    merges = []
    for token_rank, text in enumerate(texts):
        if len(text) < 2:
            continue
        parts = list(text)
        while len(parts) > 2:
            best, best_rank = -1, token_rank
            for i in range(len(parts) - 1):
                r = rank.get(parts[i] + parts[i + 1])
                if r is not None and r < best_rank:
                    best, best_rank = i, r
            if best < 0:
                raise ValueError("token %d cannot be built from lower ranks" % token_rank)
            parts[best:best + 2] = [parts[best] + parts[best + 1]]
        merges.append(parts[0] + " " + parts[1])
    return merges


def gguf_vocabulary(tiktoken_path, added):
    """added: {id: (text, is_control)} beyond the ranks. Returns (tokens, types, merges)."""
    texts = read_ranks(tiktoken_path)
    size = max([len(texts) - 1] + list(added)) + 1
    tokens = texts + ["[PAD%d]" % i for i in range(len(texts), size)]
    types = [NORMAL] * len(texts) + [UNUSED] * (size - len(texts))
    for token_id, (text, control) in added.items():
        if token_id < len(texts):
            raise ValueError("added token %d overlaps the ranks" % token_id)
        tokens[token_id] = text
        types[token_id] = CONTROL if control else USER_DEFINED
    return tokens, types, recover_merges(texts)


def metadata(tokens, types, merges, pre, end_of_text):
    """The tokenizer keys of a GGUF file; BOS and EOS are <|endoftext|> and neither is added when encoding."""
    return [
        ("tokenizer.ggml.model", GGUF_STRING, "gpt2"),
        ("tokenizer.ggml.pre", GGUF_STRING, pre),
        ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, tokens)),
        ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, types)),
        ("tokenizer.ggml.merges", GGUF_ARRAY, (GGUF_STRING, merges)),
        ("tokenizer.ggml.bos_token_id", GGUF_UINT32, end_of_text),
        ("tokenizer.ggml.eos_token_id", GGUF_UINT32, end_of_text),
        ("tokenizer.ggml.add_bos_token", GGUF_BOOL, False),
        ("tokenizer.ggml.add_eos_token", GGUF_BOOL, False),
    ]


def digest(strings):
    """SHA-256 of the strings joined by "\\n" (UTF-8): lets a test check it rebuilt exactly the arrays llama.cpp read."""
    return hashlib.sha256("\n".join(strings).encode("utf-8")).hexdigest()


def read_special_tokens(spec_path):
    with open(spec_path, encoding="utf-8") as f:
        return json.load(f)["special_tokens"]
