#!/usr/bin/env python3
"""Reference logits and greedy continuations from Microsoft's Phi-3-small remote code, for tiny random models.

Phi3SmallForCausalLM is not part of transformers: microsoft/Phi-3-small-8k-instruct and -128k-instruct load it with
trust_remote_code from their Hugging Face repositories (configuration_phi3_small.py, modeling_phi3_small.py,
positional_embedding.py, triton_blocksparse_attention_layer.py, triton_flash_blocksparse_attn.py,
tokenization_phi3_small.py). Pass the folder holding those files (with an empty __init__.py) as --remote-code.

On a CPU two calls of that code cannot run: dense layers call flash-attn, block-sparse layers call a Triton kernel.
This script replaces exactly those two methods of Phi3SmallSelfAttention with plain torch:
- _apply_dense_attention: softmax(q·kᵀ · softmax_scale) with the causal mask, then · v;
- _apply_blocksparse_attention: the same under the remote code's own block mask
  (triton_flash_blocksparse_attn._get_sparse_attn_mask), expanded to tokens at absolute positions, times causal.
It also sets the module's is_flash_attention_available, which the constructor asserts for dense layers. Everything
else (query_key_value grouping, rotary with LongRoPE, GEGLU, LayerNorms, muP multipliers, dummy-token mask) runs as
published. Triton, pytest and tiktoken are inert import stand-ins (phi3small_stubs/); einops is the real package.

The tiny vocabulary (384 ids) has no room for Phi-3-small's dummy-token ids (100256 and up), so each config.json
lists its own `dummy_token_indices`; the config class reads that attribute (otherwise it derives the list from the
tokenizer's table) and the model masks those logits to float32's minimum.

Weights come from the seeded xorshift generator (tools/reference/llamacpp), rounded to the folder's dtype, evaluated
in float32. Greedy continuations are 16 uncached steps (each one causal forward over the whole sequence, what
generate(do_sample=False, use_cache=False) computes), with each step's top-2 margin.

Output, in tests/fixtures/transformers/phi3small/: one folder per model, <case>.f32 logits (rows of kept positions),
masks.json (the remote code's block masks for several settings), special_tokens.json (tokenization_phi3_small.py's
special-token table and dummy ids) and manifest.json.

Usage: python3 tools/reference/transformers/phi3small_fixtures.py --remote-code DIR
"""
import argparse
import importlib
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "phi3small_stubs"))
sys.path.insert(0, os.path.join(HERE, "..", "llamacpp"))

import torch  # noqa: E402
import transformers  # noqa: E402
from xorshift import Rng  # noqa: E402

import safetensors_file  # noqa: E402
import tiny_tokenizer  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/transformers/phi3small"))
VOCAB = 384
GENERATED = 16
DUMMY_IDS = [5, 100, 256, 380, 381, 382, 383]  # stand-ins for 100256, 100264-5, 100267-75, 100276-100351


def load_remote(code):
    """Imports the remote code as a package, as trust_remote_code does, and swaps the two GPU-only attention calls."""
    if not os.path.exists(os.path.join(code, "__init__.py")):
        raise SystemExit(f"{code} needs an empty __init__.py beside the remote-code files")
    package = os.path.basename(os.path.normpath(code))
    sys.path.insert(0, os.path.dirname(os.path.normpath(code)))
    config_module = importlib.import_module(package + ".configuration_phi3_small")
    modeling = importlib.import_module(package + ".modeling_phi3_small")
    sparse = importlib.import_module(package + ".triton_flash_blocksparse_attn")

    def attend(self, q, k, v, visible):
        # q: (bs, heads, q_len, d); k, v: (bs, heads, kv_len, d), already expanded to the query heads.
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.softmax_scale
        scores = scores.masked_fill(~visible, float("-inf"))
        return torch.matmul(scores.softmax(dim=-1), v)

    def dense_attention(self, q, k, v, attention_mask=None, return_attention_probs=False):
        assert not return_attention_probs
        q_len, kv_len = q.size(2), k.size(2)
        return attend(self, q, k, v, torch.ones(q_len, kv_len, dtype=torch.bool).tril(kv_len - q_len))

    def blocksparse_attention(self, q, k, v, attention_mask=None, return_attention_probs=False):
        # The remote code's block mask, expanded to tokens at absolute positions (query p in block p // size, as the
        # Triton kernel indexes its layout), times causal. Its own return_dense=True helper is not used: it takes the
        # last q_len rows of the block-padded matrix, which misplaces rows when the length is not a multiple of the
        # block size (the file's tests only call it at multiples).
        assert not return_attention_probs
        layer = self._blocksparse_layer
        q_len, kv_len, size = q.size(2), k.size(2), layer.sparse_block_size
        _, blocks, _ = sparse._get_sparse_attn_mask(
            layer.n_heads, kv_len, kv_len, torch.float32, q.device, BLOCK=size, local_blocks=layer.local_blocks,
            vert_stride=layer.vert_stride, homo_head=layer.homo_head, return_dense=False)
        if blocks.dim() == 2:
            blocks = blocks[None].expand(layer.n_heads, *blocks.shape)
        tokens = torch.kron(blocks, torch.ones(size, size))[:, :kv_len, :kv_len] != 0
        visible = tokens & torch.ones(kv_len, kv_len, dtype=torch.bool).tril()
        return attend(self, q, k, v, visible[None, :, kv_len - q_len:, :])

    modeling.is_flash_attention_available = True
    modeling.Phi3SmallSelfAttention._apply_dense_attention = dense_attention
    modeling.Phi3SmallSelfAttention._apply_blocksparse_attention = blocksparse_attention
    return config_module.Phi3SmallConfig, modeling.Phi3SmallForCausalLM, sparse._get_sparse_attn_mask


def special_tokens(code):
    """tokenization_phi3_small.py's SPECIAL_TOKENS table and the dummy ids its tokenizer reports (the property run on
    that table), which the released config derives its dummy_token_indices from."""
    package = os.path.basename(os.path.normpath(code))
    tokenization = importlib.import_module(package + ".tokenization_phi3_small")
    holder = type("Table", (), {"special_tokens": tokenization.SPECIAL_TOKENS})()
    dummy = tokenization.Phi3SmallTokenizer.dummy_token_indices.func(holder)
    return dict(special_tokens=tokenization.SPECIAL_TOKENS, dummy_token_indices=dummy)


def prompt(seed, length):
    rng = Rng(seed)
    return [1] + [3 + rng.below(VOCAB - 3) for _ in range(length - 1)]


def kept_positions(length):
    """Every position of short prompts; of long ones the first 8, every 25th, and the last 8."""
    if length <= 64:
        return list(range(length))
    return sorted(set(range(8)) | set(range(0, length, 25)) | set(range(length - 8, length)))


def fill(model, seed):
    """LayerNorm weights near 1, biases small, matrices fan-in scaled. The embeddings (also the tied output matrix) are
    0.3 · U(-1, 1) and the two output projections 3× larger, so that the layers, not the (muP-multiplied) embedding
    of the last token, decide the next token: otherwise greedy decoding repeats the last token forever."""
    rng = Rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            n = p.numel()
            if "layernorm" in name and name.endswith("weight"):
                values = [1.0 + 0.2 * rng.symmetric() for _ in range(n)]
            elif name.endswith("bias"):
                values = [0.1 * rng.symmetric() for _ in range(n)]
            elif "embed_tokens" in name:
                values = [0.3 * rng.symmetric() for _ in range(n)]
            elif name.endswith(("dense.weight", "down_proj.weight")):
                a = 3.0 * math.sqrt(3.0 / p.shape[1])
                values = [a * rng.symmetric() for _ in range(n)]
            else:
                a = math.sqrt(3.0 / p.shape[1])
                values = [a * rng.symmetric() for _ in range(n)]
            p.copy_(torch.tensor(values, dtype=torch.float64).reshape(p.shape))


def longrope(pairs, original):
    return {"type": "su", "original_max_position_embeddings": original,
            "short_factor": [1.0 + 0.05 * i / pairs for i in range(pairs)],
            "long_factor": [1.0 + 12.0 * (i / pairs) ** 2 for i in range(pairs)],
            "short_mscale": 1.0, "long_mscale": 1.1902380714238083}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--remote-code", required=True, help="folder with Phi-3-small's remote-code files")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    config_class, model_class, sparse_mask = load_remote(args.remote_code)
    os.makedirs(OUT, exist_ok=True)
    cases = []

    def build(name, seed, dtype, **shape):
        config = config_class(vocab_size=VOCAB, bos_token_id=1, eos_token_id=2, pad_token_id=0,
                              dummy_token_indices=DUMMY_IDS, embedding_dropout_prob=0.0, ffn_dropout_prob=0.0,
                              **shape)
        config.architectures = ["Phi3SmallForCausalLM"]
        config.auto_map = {"AutoConfig": "configuration_phi3_small.Phi3SmallConfig",
                           "AutoModelForCausalLM": "modeling_phi3_small.Phi3SmallForCausalLM",
                           "AutoTokenizer": "tokenization_phi3_small.Phi3SmallTokenizer"}
        config.torch_dtype = dtype
        model = model_class(config).eval()
        assert model.lm_head.weight is model.model.embed_tokens.weight, "the output matrix is the embedding"
        fill(model, seed)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(dtype).float())
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        config.save_pretrained(folder)
        state = {k: v.to(dtype) for k, v in model.state_dict().items() if k != "lm_head.weight"}
        safetensors_file.write(os.path.join(folder, "model.safetensors"), state)
        tiny_tokenizer.write(folder, VOCAB)
        return model

    def logits_case(case, model_name, model, ids):
        logits = model(torch.tensor([ids]), use_cache=False).logits[0]
        positions = kept_positions(len(ids))
        logits[positions].contiguous().numpy().astype("<f4").tofile(os.path.join(OUT, case + ".f32"))
        cases.append(dict(name=case, model=model_name, ids=ids, positions=positions))

    def greedy_case(case, model_name, model, ids):
        sequence, tokens, margins = list(ids), [], []
        for _ in range(GENERATED):
            last = model(torch.tensor([sequence]), use_cache=False).logits[0, -1]
            top = torch.topk(last, 2)
            tokens.append(int(top.indices[0]))
            margins.append(float(top.values[0] - top.values[1]))
            sequence.append(tokens[-1])
        cases.append(dict(name=case, model=model_name, ids=ids, generated=tokens, margins=margins))

    # Phi-3-small-8k: 4096 wide, 32 heads of 128, 8 KV heads, 32 layers (every 2nd dense), blocks of 64, 16 local
    # blocks, vertical stride 8, per-head patterns -> 64 wide, 4 heads of 16, 2 KV heads, 4 layers, blocks of 16,
    # 2 local, stride 3 (so 300 tokens cross 19 blocks and every head's stride columns). BF16 as released.
    name = "phi3-small-8k"
    m = build(name, 21, torch.bfloat16, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
              num_hidden_layers=4, ff_intermediate_size=64, max_position_embeddings=1024,
              blocksparse_block_size=16, blocksparse_triton_kernel_block_size=16, blocksparse_num_local_blocks=2,
              blocksparse_vert_stride=3, blocksparse_homo_head_pattern=False, dense_attention_every_n_layers=2)
    logits_case(name, name, m, prompt(201, 40))
    logits_case(name + "-sparse", name, m, prompt(202, 300))
    greedy_case(name + "-greedy", name, m, prompt(203, 200))

    # One pattern for all heads, 8 heads of 8 with 4:1 grouped-query attention, a GEGLU limit that clips, muP multipliers other than
    # the released ones, rope_position_scale 0.5, layers 1 and 2 block-sparse and 3 dense; F16.
    name = "phi3-small-homo"
    m = build(name, 22, torch.float16, hidden_size=64, num_attention_heads=8, num_key_value_heads=2,
              num_hidden_layers=3, ff_intermediate_size=64, max_position_embeddings=1024,
              blocksparse_block_size=16, blocksparse_triton_kernel_block_size=16, blocksparse_num_local_blocks=3,
              blocksparse_vert_stride=4, blocksparse_homo_head_pattern=True, dense_attention_every_n_layers=3,
              gegelu_limit=1.0, mup_attn_multiplier=2.0, mup_embedding_multiplier=4.0, mup_width_multiplier=2.0,
              rope_position_scale=0.5, rope_embedding_base=10000.0)
    logits_case(name, name, m, prompt(211, 250))
    greedy_case(name + "-greedy", name, m, prompt(212, 120))

    # Phi-3-small-128k: LongRoPE ("su", original 8192 of 131072, explicit mscales) -> original 64 of 512; heads of
    # 32, one KV head, mup_use_scaling off (1/sqrt(d)); BF16.
    name = "phi3-small-128k"
    m = build(name, 23, torch.bfloat16, hidden_size=64, num_attention_heads=2, num_key_value_heads=1,
              num_hidden_layers=2, ff_intermediate_size=64, max_position_embeddings=512,
              rope_scaling=longrope(16, 64), blocksparse_block_size=16, blocksparse_triton_kernel_block_size=16,
              blocksparse_num_local_blocks=2, blocksparse_vert_stride=2, blocksparse_homo_head_pattern=False,
              dense_attention_every_n_layers=2, mup_use_scaling=False)
    logits_case(name + "-short", name, m, prompt(221, 50))
    logits_case(name + "-long", name, m, prompt(222, 300))
    greedy_case(name + "-greedy", name, m, prompt(223, 56))  # crosses the original context while generating

    # The remote code's block masks: [head][query block] = string of 0/1 over key blocks.
    masks = []
    for heads, block, local, stride, homo, tokens in ((32, 64, 16, 8, False, 2048), (4, 16, 2, 3, False, 320),
                                                      (8, 16, 3, 4, True, 320), (2, 16, 2, 2, False, 320),
                                                      (3, 16, 1, 7, False, 320), (16, 16, 2, 4, False, 320)):
        _, blocks, _ = sparse_mask(heads, tokens, tokens, torch.float32, "cpu", BLOCK=block, local_blocks=local,
                                   vert_stride=stride, homo_head=homo, return_dense=False)
        if blocks.dim() == 2:
            blocks = blocks[None].expand(heads, *blocks.shape)
        rows = [["".join("1" if x else "0" for x in row.tolist()) for row in head] for head in blocks]
        masks.append(dict(heads=heads, blockSize=block, localBlocks=local, vertStride=stride, homoHead=homo,
                          tokens=tokens, blocks=rows))
    with open(os.path.join(OUT, "masks.json"), "w") as f:
        json.dump(masks, f, indent=0)

    with open(os.path.join(OUT, "special_tokens.json"), "w") as f:
        json.dump(special_tokens(args.remote_code), f, indent=0)

    manifest = dict(transformers=transformers.__version__, torch=torch.__version__.split("+")[0], vocabSize=VOCAB,
                    cases=cases)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("wrote %d cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
