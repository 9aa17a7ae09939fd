#!/usr/bin/env python3
"""What llama.cpp's own quantizer (llama_model_quantize, the code behind llama-quantize) writes for the tiny GGUF
fixtures in tests/fixtures/llamacpp, so `phi quantize` can be checked file for file without committing the outputs.

For each case: the size and SHA-256 of llama.cpp's output file and its tensors (name, ggml type) in file order.
Written to tests/fixtures/quantize/llamacpp_files.json. No importance matrix; "pure" only where marked.
Needs `npm install` in tools/reference/llamacpp. Usage: python3 tools/reference/quantize/quantize_files.py
"""
import ctypes
import hashlib
import json
import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../llamacpp"))
import llama_quantize  # noqa: E402

FIXTURES = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures"))

# (input under tests/fixtures/llamacpp, type, pure)
CASES = [
    ("phi3-mini-f16.gguf", "q4_k_m", False),
    ("phi3-mini-f16.gguf", "q4_0", False),
    ("phi3-mini-f16.gguf", "q8_0", False),
    ("phi3-mini-f16.gguf", "f16", False),
    ("phi3-mini-f16.gguf", "q4_k", True),
    ("phi3-mini-f16.gguf", "q6_k", True),
    ("phi3-mini-bf16.gguf", "q4_k_m", False),
    ("phi3-mini-q8_0.gguf", "q4_k_m", False),        # requantizing: dequantized to float32 first
    ("phi3-tied-partial-f16.gguf", "q4_k_m", False),  # tied embeddings; rows of 128 fall back
    ("phi3-tied-partial-f16.gguf", "q4_0", False),
    ("phi3-gqa-swa-f16.gguf", "q4_k_m", False),
    ("phi2-f16.gguf", "q4_k_m", False),
]


def tensors(path):
    """(name, ggml type) of each tensor, in file order, read from the GGUF header."""
    with open(path, "rb") as f:
        def rd(fmt):
            return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))

        def rstr():
            (n,) = rd("Q")
            return f.read(n).decode()

        sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

        def skip(t):
            if t == 8:
                rstr()
            elif t == 9:
                et, n = rd("IQ")
                for _ in range(n):
                    skip(et)
            else:
                f.read(sizes[t])

        _, _, n_tensors, n_kv = rd("4sIQQ")
        for _ in range(n_kv):
            rstr()
            skip(rd("I")[0])
        out = []
        for _ in range(n_tensors):
            name = rstr()
            (n_dims,) = rd("I")
            rd("Q" * n_dims)
            typ, _ = rd("IQ")
            out.append([name, typ])
        return out


def main():
    llama = llama_quantize._library()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for source, type_name, pure in CASES:
            target = os.path.join(tmp, "out.gguf")
            params = llama.llama_model_quantize_default_params()
            params.nthread, params.ftype, params.pure = 2, llama_quantize.FTYPES[type_name], pure
            params.allow_requantize = True
            rc = llama.llama_model_quantize(os.path.join(FIXTURES, "llamacpp", source).encode(), target.encode(),
                                            ctypes.byref(params))
            assert rc == 0, (source, type_name)
            data = open(target, "rb").read()
            results.append({"input": source, "type": type_name, "pure": pure, "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(), "tensors": tensors(target)})
    with open(os.path.join(FIXTURES, "quantize", "llamacpp_files.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
