#!/usr/bin/env python3
"""llama.cpp's GGUF quantizer (llama_model_quantize, the code behind llama-quantize), called through ctypes on the
libllama that `npm install` in this folder brings with node-llama-cpp.

Usage: python3 llama_quantize.py IN.gguf OUT.gguf TYPE [--pure]
TYPE: one of FTYPES below (q4_0, q4_k_m, ...). --pure gives every matrix the type instead of llama.cpp's usual mix.
"""
import ctypes
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BINS = os.path.join(HERE, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64")

# llama_ftype numbers (llama.h).
FTYPES = {
    "f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7, "q5_0": 8, "q5_1": 9, "q2_k": 10, "q3_k": 11, "q3_k_m": 12,
    "q4_k": 14, "q4_k_m": 15, "q5_k": 16, "q5_k_m": 17, "q6_k": 18, "bf16": 32,
}


class QuantizeParams(ctypes.Structure):
    _fields_ = [
        ("nthread", ctypes.c_int32), ("ftype", ctypes.c_int32), ("output_tensor_type", ctypes.c_int32),
        ("token_embedding_type", ctypes.c_int32), ("allow_requantize", ctypes.c_bool),
        ("quantize_output_tensor", ctypes.c_bool), ("only_copy", ctypes.c_bool), ("pure", ctypes.c_bool),
        ("keep_split", ctypes.c_bool), ("dry_run", ctypes.c_bool), ("imatrix", ctypes.c_void_p),
        ("kv_overrides", ctypes.c_void_p), ("tt_overrides", ctypes.c_void_p), ("prune_layers", ctypes.c_void_p),
        ("max_buf_size", ctypes.c_size_t),
    ]


_llama = None


def _library():
    global _llama
    if _llama is None:
        _llama = ctypes.CDLL(glob.glob(os.path.join(BINS, "libllama*.so"))[0])
        _llama.llama_model_quantize_default_params.restype = QuantizeParams
        _llama.llama_model_quantize.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(QuantizeParams)]
        _llama.llama_model_quantize.restype = ctypes.c_uint32
        _llama.llama_backend_init()
    return _llama


def quantize(source, target, type_name, pure):
    llama = _library()
    params = llama.llama_model_quantize_default_params()
    params.nthread, params.ftype, params.pure = 2, FTYPES[type_name], pure
    if llama.llama_model_quantize(source.encode(), target.encode(), ctypes.byref(params)) != 0:
        raise RuntimeError("llama_model_quantize failed for " + target)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in FTYPES:
        sys.exit(__doc__)
    quantize(sys.argv[1], sys.argv[2], sys.argv[3], len(sys.argv) == 5 and sys.argv[4] == "--pure")
