#!/usr/bin/env python3
"""Turns a BERT encoder exported to ONNX by torch (float32) plus its vocab.txt into a Hugging Face folder that
PhiSharp (and transformers' BertModel) loads: config.json, model.safetensors, tokenizer.json, 1_Pooling/config.json.

Bias and LayerNorm initializers keep their PyTorch names in such an export; the matrices become anonymous MatMul
inputs ([in, out]). Each matrix is named after the bias that its MatMul's output is added to, and transposed back to
PyTorch's [out, in]. The pooler (Gemm + Tanh) is left out: sentence-transformers does not use it.

Needs python3 with onnx and numpy (Debian: python3-onnx). Usage:
    python3 tools/embedding_models/onnx_bert_to_hf.py model.onnx vocab.txt OUT_FOLDER --heads 12 --pooling mean
"""
import argparse
import json
import os
import struct

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.normpath(os.path.join(HERE, "../../tests/fixtures/wordpiece/tokenizer.template.json"))


def weights(graph):
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    # Constant nodes too: some exporters store matrices that way.
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            initializers[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    named = {k: v for k, v in initializers.items() if k.endswith((".weight", ".bias")) and not k.startswith("pooler.")}
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        matrix = next((x for x in node.input if x in initializers and initializers[x].ndim == 2), None)
        if matrix is None:
            continue  # attention's activation x activation products
        add = next(n for n in consumers[node.output[0]] if n.op_type == "Add")
        bias = next(x for x in add.input if x.endswith(".bias"))
        named[bias[:-len(".bias")] + ".weight"] = initializers[matrix].T.copy()
    return named, initializers


def layer_norm_eps(graph, initializers):
    """The constant added to the variance before Sqrt in the first LayerNorm."""
    by_output = {o: n for n in graph.node for o in n.output}
    for node in graph.node:
        if node.op_type == "Sqrt":
            add = by_output[node.input[0]]
            for x in add.input:
                if x in initializers:
                    return float(initializers[x])
    raise SystemExit("no LayerNorm epsilon found")


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for b in blobs:
            f.write(b)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("onnx_file")
    p.add_argument("vocab_txt")
    p.add_argument("out")
    p.add_argument("--heads", type=int, required=True, help="attention heads (the export does not name them)")
    p.add_argument("--pooling", choices=("mean", "cls"), required=True)
    p.add_argument("--cased", action="store_true", help="the vocabulary is cased (no lowercasing)")
    a = p.parse_args()

    graph = onnx.load(a.onnx_file).graph
    tensors, initializers = weights(graph)
    vocab_size, hidden = tensors["embeddings.word_embeddings.weight"].shape
    layers = 1 + max(int(k.split(".")[2]) for k in tensors if k.startswith("encoder.layer."))
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": int(hidden),
        "num_hidden_layers": layers, "num_attention_heads": a.heads,
        "intermediate_size": int(tensors["encoder.layer.0.intermediate.dense.weight"].shape[0]),
        "max_position_embeddings": int(tensors["embeddings.position_embeddings.weight"].shape[0]),
        "type_vocab_size": int(tensors["embeddings.token_type_embeddings.weight"].shape[0]),
        "vocab_size": int(vocab_size), "hidden_act": "gelu", "layer_norm_eps": layer_norm_eps(graph, initializers),
        "position_embedding_type": "absolute", "pad_token_id": 0,
    }
    expected = 5 + layers * 16
    if len(tensors) != expected:
        raise SystemExit(f"found {len(tensors)} tensors, expected {expected} for a {layers}-layer BERT")

    os.makedirs(os.path.join(a.out, "1_Pooling"), exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    write_safetensors(os.path.join(a.out, "model.safetensors"), tensors)
    with open(a.vocab_txt, encoding="utf-8") as f:
        vocab = f.read().split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    if len(vocab) != vocab_size:
        raise SystemExit(f"vocab.txt has {len(vocab)} entries, the embedding matrix {vocab_size} rows")
    with open(TEMPLATE, encoding="utf-8") as f:
        tokenizer = json.load(f)
    tokenizer["model"]["vocab"] = {t: i for i, t in enumerate(vocab)}
    tokenizer["normalizer"]["lowercase"] = not a.cased
    with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(a.out, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": int(hidden), "pooling_mode_cls_token": a.pooling == "cls",
                   "pooling_mode_mean_tokens": a.pooling == "mean"}, f, indent=1)
    print(f"{a.out}: {layers} layers, hidden {hidden}, {a.heads} heads, vocabulary {vocab_size}, "
          f"eps {config['layer_norm_eps']:g}, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
