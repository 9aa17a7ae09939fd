#!/usr/bin/env python3
"""Writes dequantization fixtures made by llama.cpp itself (an implementation independent of PhiSharp).

For each ggml type: deterministic pseudo-random float rows are quantized with llama.cpp's ggml_quantize_chunk
(no importance matrix, so the reference quantizers) and dequantized with llama.cpp's dequantize_row_<type>
(or ggml_fp16_to_fp32_row / ggml_bf16_to_fp32_row). Files, all little-endian, in tests/fixtures/dequant/:
    <type>.src.f32   the float32 input rows (ROWS x ROW_LENGTH)
    <type>.bin       llama.cpp's encoded bytes
    <type>.f32       llama.cpp's dequantization of <type>.bin
    f16_bits.u16 / f16_bits.f32     sampled half bit patterns and llama.cpp's float32 for each
    bf16_bits.u16 / bf16_bits.f32   the same for bfloat16

Needs only python3 and the llama.cpp CPU libraries that `npm install` (in this folder) brings with node-llama-cpp.
Usage: python3 tools/reference/llamacpp/dequant_fixtures.py
"""
import ctypes
import math
import os
import struct

from xorshift import Rng

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so")
OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/dequant"))

ROWS, ROW_LENGTH = 4, 256

# ggml_type numbers (stable across ggml versions) and the dequantizer each uses.
TYPES = {
    "f16": (1, "ggml_fp16_to_fp32_row"),
    "bf16": (30, "ggml_bf16_to_fp32_row"),
    "q4_0": (2, "dequantize_row_q4_0"),
    "q4_1": (3, "dequantize_row_q4_1"),
    "q5_0": (6, "dequantize_row_q5_0"),
    "q5_1": (7, "dequantize_row_q5_1"),
    "q8_0": (8, "dequantize_row_q8_0"),
    "q2_k": (10, "dequantize_row_q2_K"),
    "q3_k": (11, "dequantize_row_q3_K"),
    "q4_k": (12, "dequantize_row_q4_K"),
    "q5_k": (13, "dequantize_row_q5_K"),
    "q6_k": (14, "dequantize_row_q6_K"),
    "q8_k": (15, "dequantize_row_q8_K"),
}


def to_f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def source_rows(seed):
    """Four rows that stress different parts of a quantizer: typical weights, outliers, zeros, one-signed."""
    rng = Rng(seed)
    rows = []
    rows.append([rng.gauss() for _ in range(ROW_LENGTH)])
    row = [0.02 * rng.gauss() for _ in range(ROW_LENGTH)]
    for i in range(0, ROW_LENGTH, 37):
        row[i] *= 60.0
    rows.append(row)
    row = [2.0 * rng.uniform() - 1.0 for _ in range(ROW_LENGTH)]
    for i in range(32, 64):  # a whole zero block
        row[i] = 0.0
    for i in range(0, ROW_LENGTH, 5):
        row[i] = 0.0
    rows.append(row)
    rows.append([1e-3 * rng.uniform() + 1e-4 for _ in range(ROW_LENGTH)])
    return [to_f32(v) for r in rows for v in r]


def float_specials():
    """Values that exercise fp16/bf16 rounding: ties, overflow, subnormals, signed zero, infinities, NaN."""
    specials = [
        0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e6, math.inf, -math.inf, math.nan,
        2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25, 2.0 ** -26, 3.0 * 2.0 ** -25, 1e-10, -1e-10,
        1.0 + 2.0 ** -11, 1.0 + 3.0 * 2.0 ** -11, 1.0 + 2.0 ** -11 + 2.0 ** -20,  # fp16 ties and near-ties
        1.0 + 2.0 ** -8, 1.0 + 3.0 * 2.0 ** -8, 1.0 + 2.0 ** -8 + 2.0 ** -20,  # bf16 ties and near-ties
        3.3895313892515355e38, 3.4028234663852886e38, 1e-40, -1e-40, 1e-45,
    ]
    rng = Rng(99)
    values = [to_f32(v) for v in specials]
    while len(values) < ROW_LENGTH:
        values.append(to_f32(rng.gauss() * 10.0 ** rng.next_u64().__mod__(12) / 1e4))
    return values


def pack_f32(values):
    return struct.pack("<%df" % len(values), *values)


def main():
    lib = ctypes.CDLL(LIB)
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    lib.ggml_row_size.restype = ctypes.c_size_t
    lib.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    os.makedirs(OUT, exist_ok=True)

    n = ROWS * ROW_LENGTH
    for seed, (name, (type_id, dequantizer)) in enumerate(TYPES.items(), start=1):
        src = source_rows(seed)
        if name in ("f16", "bf16"):
            src[3 * ROW_LENGTH:] = float_specials()
        src_buf = (ctypes.c_float * n)(*src)
        size = lib.ggml_row_size(type_id, ROW_LENGTH) * ROWS
        encoded = (ctypes.c_uint8 * size)()
        if name == "q8_k":  # an activation type: ggml_quantize_chunk does not offer it, its reference row quantizer does
            lib.quantize_row_q8_K_ref.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
            lib.quantize_row_q8_K_ref(src_buf, encoded, n)
        else:
            written = lib.ggml_quantize_chunk(type_id, src_buf, encoded, 0, ROWS, ROW_LENGTH, None)
            assert written == size, (name, written, size)
        decoded = (ctypes.c_float * n)()
        fn = getattr(lib, dequantizer)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn.restype = None
        fn(encoded, decoded, n)
        with open(os.path.join(OUT, name + ".src.f32"), "wb") as f:
            f.write(bytes(src_buf))
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(bytes(encoded))
        with open(os.path.join(OUT, name + ".f32"), "wb") as f:
            f.write(bytes(decoded))

    # Widening of raw 16-bit patterns: every pattern with a zero or all-ones exponent (zeros, subnormals,
    # infinities, NaNs, both signs) and every 61st pattern in between.
    for name, fn_name, exponent_mask, special_exponents in (
            ("f16", "ggml_fp16_to_fp32_row", 0x7C00, (0, 0x7C00)),
            ("bf16", "ggml_bf16_to_fp32_row", 0x7F80, (0, 0x7F80))):
        patterns = [p for p in range(65536) if (p & exponent_mask) in special_exponents or p % 61 == 0]
        if name == "bf16":
            patterns = patterns[::4]  # bf16 has 256 patterns per exponent; a quarter of them is plenty
        bits = (ctypes.c_uint16 * len(patterns))(*patterns)
        floats = (ctypes.c_float * len(patterns))()
        fn = getattr(lib, fn_name)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn.restype = None
        fn(bits, floats, len(patterns))
        with open(os.path.join(OUT, name + "_bits.u16"), "wb") as f:
            f.write(bytes(bits))
        with open(os.path.join(OUT, name + "_bits.f32"), "wb") as f:
            f.write(bytes(floats))


if __name__ == "__main__":
    main()
