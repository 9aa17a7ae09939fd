#!/usr/bin/env python3
"""Rows that stress a quantizer's edge cases, encoded by llama.cpp's own reference quantizers.

ggml_quantize_chunk from libggml-base.so (no importance matrix, so quantize_row_<type>_ref: the bytes llama.cpp's
quantize writes) encodes ROWS rows of ROW_LENGTH float32 values. Files in tests/fixtures/quantize/:
    rows.f32      the float32 input (ROWS x ROW_LENGTH, little-endian)
    <type>.bin    llama.cpp's encoding of rows.f32

The libraries come from `npm install` in tools/reference/llamacpp (node-llama-cpp's prebuilt llama.cpp).
Usage: python3 tools/reference/quantize/quantize_fixtures.py
"""
import ctypes
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../llamacpp"))
from xorshift import Rng  # noqa: E402

LIB = os.path.join(HERE, "../llamacpp/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so")
OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/quantize"))
ROW_LENGTH = 512  # two K-quant super-blocks per row

TYPES = {"q4_0": 2, "q5_0": 6, "q8_0": 8, "q4_k": 12, "q6_k": 14}


def to_f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def rows():
    rng = Rng(2024)
    n = ROW_LENGTH
    out = [
        [0.0] * n,                                              # all zero
        [0.75] * n,                                             # constant positive
        [-0.3] * n,                                             # constant negative
        [-abs(rng.gauss()) for _ in range(n)],                  # one-signed, negative
        [abs(rng.gauss()) for _ in range(n)],                   # one-signed, positive
        [1e-20 * rng.gauss() for _ in range(n)],                # below ggml's "all zero" threshold
        [1e-6 * rng.gauss() for _ in range(n)],                 # tiny but not zero
        [1.0 if i % 2 else -1.0 for i in range(n)],             # exact alternating signs
        [0.5 * (rng.below(33) - 16) for _ in range(n)],         # halves: rounding ties
        [rng.gauss() * 10.0 ** (i // 32 % 8 - 4) for i in range(n)],  # sub-blocks spanning 8 decades
    ]
    row = [1e-3 * rng.gauss() for _ in range(n)]                # one huge outlier per super-block
    row[7], row[300] = 1000.0, -250.0
    out.append(row)
    row = [rng.gauss() for _ in range(n)]                       # a zero sub-block among normal ones
    for i in range(64, 96):
        row[i] = 0.0
    out.append(row)
    row = [rng.gauss() for _ in range(n)]                       # a constant sub-block among normal ones
    for i in range(128, 160):
        row[i] = 0.25
    out.append(row)
    row = [rng.gauss() + 3.0 for _ in range(n)]                 # offset: minimum far from zero
    out.append(row)
    for _ in range(4):                                          # typical weights
        out.append([0.05 * rng.gauss() for _ in range(n)])
    return [to_f32(v) for r in out for v in r], len(out)


def main():
    lib = ctypes.CDLL(LIB)
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    lib.ggml_row_size.restype = ctypes.c_size_t
    lib.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    values, count = rows()
    assert all(math.isfinite(v) for v in values)
    src = (ctypes.c_float * len(values))(*values)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "rows.f32"), "wb") as f:
        f.write(bytes(src))
    for name, type_id in TYPES.items():
        size = lib.ggml_row_size(type_id, ROW_LENGTH) * count
        encoded = (ctypes.c_uint8 * size)()
        written = lib.ggml_quantize_chunk(type_id, src, encoded, 0, count, ROW_LENGTH, None)
        assert written == size, (name, written, size)
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(bytes(encoded))
    print(count, "rows of", ROW_LENGTH)


if __name__ == "__main__":
    main()
