#!/usr/bin/env python3
"""Reference embeddings from Hugging Face transformers for tiny random-weight retrieval encoders.

Each model is a Hugging Face folder (config.json written by transformers, model.safetensors, tokenizer.json,
sentence-transformers' 1_Pooling/config.json) with the shape of a released model scaled down:
- bge-small: BertModel as in bge-small-en-v1.5 (absolute positions, GELU, post-LayerNorm), CLS pooling;
- all-minilm-l6: BertModel as in all-MiniLM-L6-v2, mean pooling;
- nomic-embed: NomicBertModel as in nomic-embed-text-v1.5 (rotary base 1000, fused unbiased qkv, SwiGLU, vocabulary
  padded to a multiple of 64), mean pooling. NomicBertModel is not part of transformers: it is the remote code of the
  Hugging Face repository nomic-ai/nomic-bert-2048 (configuration_hf_nomic_bert.py, modeling_hf_nomic_bert.py),
  which nomic-embed-text-v1.5 loads with trust_remote_code; pass the folder holding those two files.

Weights are F32 from the seeded xorshift generator. transformers computes the last hidden state (float32, CPU,
eager attention, all-ones attention mask) and the script pools it as sentence-transformers' Pooling module does
(the [CLS] row, or the mean over tokens), then L2-normalises as the models' Normalize module does.

Output, in tests/fixtures/transformers/embeddings/: one folder per model and manifest.json with, per model, four
[CLS] ... [SEP] id sequences (2 to 102 tokens) and their pooled and normalised embeddings.

Needs torch, transformers and einops. Usage:
    python3 tools/reference/transformers/embedding_fixtures.py --nomic-code DIR
"""
import argparse
import importlib
import json
import math
import os
import sys

import torch
import transformers
from transformers import BertConfig, BertModel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "llamacpp"))
from bert_model import small_vocabulary  # noqa: E402
from xorshift import Rng  # noqa: E402

import safetensors_file  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/transformers/embeddings"))
TEMPLATE = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/wordpiece/tokenizer.template.json"))
NORMS = ("LayerNorm", "emb_ln", "norm1", "norm2")


def sequences(vocab, seed):
    """[CLS] + random ids past the specials + [SEP], of lengths 0, 3, 17 and 100 between the two."""
    rng = Rng(seed)
    return [[101] + [104 + rng.below(vocab - 104) for _ in range(n)] + [102] for n in (0, 3, 17, 100)]


def fill(model, seed):
    """Every parameter from xorshift: LayerNorm weights near 1, biases small, embeddings O(1), matrices fan-in scaled."""
    rng = Rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            n = p.numel()
            if any(k in name for k in NORMS) and name.endswith("weight"):
                values = [1.0 + 0.2 * rng.symmetric() for _ in range(n)]
            elif name.endswith("bias"):
                values = [0.1 * rng.symmetric() for _ in range(n)]
            elif "embeddings" in name:
                values = [rng.symmetric() for _ in range(n)]
            else:
                a = math.sqrt(3.0 / p.shape[1])
                values = [a * rng.symmetric() for _ in range(n)]
            p.copy_(torch.tensor(values, dtype=torch.float64).reshape(p.shape))


def write_folder(folder, model, vocabulary, cls_pooling):
    os.makedirs(os.path.join(folder, "1_Pooling"), exist_ok=True)
    model.config.save_pretrained(folder)
    safetensors_file.write(os.path.join(folder, "model.safetensors"), dict(model.state_dict()))
    with open(TEMPLATE, encoding="utf-8") as f:
        tokenizer = json.load(f)
    tokenizer["model"]["vocab"] = {t: i for i, t in enumerate(vocabulary)}
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    pooling = {"word_embedding_dimension": model.config.hidden_size, "pooling_mode_cls_token": cls_pooling,
               "pooling_mode_mean_tokens": not cls_pooling, "pooling_mode_max_tokens": False,
               "pooling_mode_mean_sqrt_len_tokens": False}
    with open(os.path.join(folder, "1_Pooling", "config.json"), "w") as f:
        json.dump(pooling, f, indent=1)


def embed(model, ids, cls_pooling):
    hidden = model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                   token_type_ids=torch.zeros(1, len(ids), dtype=torch.long)).last_hidden_state[0]
    pooled = hidden[0] if cls_pooling else hidden.mean(dim=0)
    return pooled, torch.nn.functional.normalize(pooled, dim=0)


def nomic_classes(code):
    """Imports the remote code as a package, as transformers' trust_remote_code does."""
    package = os.path.basename(os.path.normpath(code))
    sys.path.insert(0, os.path.dirname(os.path.normpath(code)))
    if not os.path.exists(os.path.join(code, "__init__.py")):
        raise SystemExit(f"{code} needs an empty __init__.py beside the two remote-code files")
    config = importlib.import_module(package + ".configuration_hf_nomic_bert").NomicBertConfig
    model = importlib.import_module(package + ".modeling_hf_nomic_bert").NomicBertModel
    return config, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nomic-code", required=True, help="folder with nomic-bert-2048's two remote-code files")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    vocabulary = small_vocabulary()
    nomic_config, nomic_model = nomic_classes(args.nomic_code)

    def bert(hidden, heads, ff, layers, positions):
        config = BertConfig(vocab_size=len(vocabulary), hidden_size=hidden, num_attention_heads=heads,
                            intermediate_size=ff, num_hidden_layers=layers, max_position_embeddings=positions,
                            hidden_act="gelu", layer_norm_eps=1e-12, type_vocab_size=2, pad_token_id=0,
                            attn_implementation="eager")
        config.architectures = ["BertModel"]
        return BertModel(config).eval()

    def nomic():
        # nomic-embed-text-v1.5's config with the sizes scaled down and the CUDA-only fused kernels off (the same
        # math in plain torch).
        config = nomic_config(vocab_size=len(vocabulary), n_embd=128, n_head=2, n_inner=256, n_layer=2,
                              n_positions=2048, max_trained_positions=2048, activation_function="swiglu",
                              rotary_emb_base=1000, rotary_emb_fraction=1.0, qkv_proj_bias=False, mlp_fc1_bias=False,
                              mlp_fc2_bias=False, prenorm=False, layer_norm_epsilon=1e-12, pad_vocab_size_multiple=64,
                              type_vocab_size=2, causal=False, use_flash_attn=False, fused_bias_fc=False,
                              fused_dropout_add_ln=False, use_xentropy=False, resid_pdrop=0.0, embd_pdrop=0.0,
                              attn_pdrop=0.0)
        config.architectures = ["NomicBertModel"]
        return nomic_model(config, add_pooling_layer=False).eval()

    models = [
        # bge-small-en-v1.5: 384 wide, 12 heads of 32, MLP 1536, 12 layers, 512 positions, CLS pooling.
        ("bge-small", bert(64, 2, 256, 2, 128), True, 31),
        # all-MiniLM-L6-v2: 384 wide, 12 heads of 32, MLP 1536, 6 layers, 512 positions, mean pooling.
        ("all-minilm-l6", bert(64, 2, 256, 2, 128), False, 32),
        # nomic-embed-text-v1.5: 768 wide, 12 heads of 64, MLP 3072, 12 layers, rotary, mean pooling.
        ("nomic-embed", nomic(), False, 33),
    ]
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for name, model, cls_pooling, seed in models:
        fill(model, seed)
        write_folder(os.path.join(OUT, name), model, vocabulary, cls_pooling)
        case = dict(name=name, pooling="cls" if cls_pooling else "mean", sequences=[], pooled=[], normalized=[])
        for ids in sequences(len(vocabulary), seed + 100):
            pooled, normalized = embed(model, ids, cls_pooling)
            case["sequences"].append(ids)
            case["pooled"].append([float(x) for x in pooled])
            case["normalized"].append([float(x) for x in normalized])
        cases.append(case)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(dict(transformers=transformers.__version__, torch=torch.__version__.split("+")[0], cases=cases), f)
    print("wrote %d models to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
