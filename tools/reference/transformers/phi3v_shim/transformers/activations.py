from torch import nn

ACT2FN = {"silu": nn.SiLU(), "gelu": nn.GELU()}
