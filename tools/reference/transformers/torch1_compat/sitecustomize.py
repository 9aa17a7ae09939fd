"""Lets transformers 4.52.4 run on Debian bookworm's torch 1.13 (python3-torch), CPU, eager attention, one process.

Python imports this module at start-up when its folder is on PYTHONPATH. It only adds what torch 1.13 lacks and
transformers touches while importing or generating; no model computation goes through it. Not needed (and not to
be used) with torch ≥ 2.1.
"""
import importlib.metadata
import sys
import types

import torch

# transformers refuses torch < 2.1 outright; report the minimum so the version-gated extras (≥ 2.2) stay off.
_version = importlib.metadata.version


def _reported_version(name):
    return "2.1.0" if name == "torch" else _version(name)


importlib.metadata.version = _reported_version

# torch.compiler (2.0+): transformers decorates functions with torch.compiler.disable and asks is_compiling().
if not hasattr(torch, "compiler"):
    compiler = types.ModuleType("torch.compiler")
    compiler.disable = lambda fn=None, recursive=True: (lambda f: f) if fn is None else fn
    compiler.is_compiling = lambda: False
    compiler.is_dynamo_compiling = lambda: False
    torch.compiler = compiler

# dtypes added after 1.13: transformers only lists them in lookup tables.
for _name in ("float8_e4m3fn", "float8_e5m2", "uint16", "uint32", "uint64"):
    if not hasattr(torch, _name):
        setattr(torch, _name, object())

# torch.distributed.tensor (2.4+) is imported unconditionally by modeling_utils; nothing here is distributed, and
# torch 1.13's FSDP modules do not import on Python 3.11, so distributed support is reported absent.
sys.modules.setdefault("torch.distributed.tensor", types.ModuleType("torch.distributed.tensor"))
torch.distributed.is_available = lambda: False
