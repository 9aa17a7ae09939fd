#!/usr/bin/env python3
"""Writes the embedding-model fixtures: tiny random F32 "bert" (CLS pooling, like bge-small) and "nomic-bert" (mean
pooling, like nomic-embed-text-v1.5) GGUF files (bert_model.py) and llama.cpp's pooled embeddings for a few token
sequences, plus llama.cpp's tokenization of a few texts with the files' vocabulary.

Output, in tests/fixtures/embeddings/: bert.gguf, nomic-bert.gguf, manifest.json.
Needs python3 and node; run `npm install` in this folder first. Usage: python3 tools/reference/llamacpp/embedding_fixtures.py
"""
import json
import os
import subprocess
import tempfile

import bert_model
from xorshift import Rng

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/embeddings"))
CONTEXT = 128
TEXTS = ["Hello, world!", "the first time you can see it", "Don't stop: 3.14 is (about) pi.", "unknownword xyz"]


def sequences(vocab, seed):
    """[CLS] + random ids past the specials + [SEP], of lengths 0, 3, 17 and 100 between the two."""
    rng = Rng(seed)
    return [[101] + [104 + rng.below(vocab - 104) for _ in range(n)] + [102] for n in (0, 3, 17, 100)]


def main():
    os.makedirs(OUT, exist_ok=True)
    shape = dict(hidden=64, heads=4, ff=128, layers=2, context=CONTEXT)
    cases = []
    for name, arch, pooling, seed in (("bert", "bert", "cls", 21), ("nomic-bert", "nomic-bert", "mean", 22)):
        path = os.path.join(OUT, name + ".gguf")
        vocab = bert_model.encoder(path, arch=arch, seed=seed, pooling=pooling, **shape)
        cases.append(dict(name=name, model=name + ".gguf", pooling=pooling, sequences=sequences(vocab, seed + 100)))

    scratch = tempfile.mkdtemp()
    jobs = [dict(model=os.path.join(OUT, c["model"]), context=CONTEXT, sequences=c["sequences"], texts=TEXTS) for c in cases]
    jobs_path, out_path = os.path.join(scratch, "jobs.json"), os.path.join(scratch, "out.json")
    with open(jobs_path, "w") as f:
        json.dump(jobs, f)
    subprocess.run(["node", os.path.join(HERE, "embeddings.mjs"), jobs_path, out_path], check=True)
    with open(out_path) as f:
        results = json.load(f)
    for case, result in zip(cases, results):
        case["embeddings"] = [[float("%.9g" % v) for v in e] for e in result["embeddings"]]
        case["texts"] = [dict(text=t, ids=ids) for t, ids in zip(TEXTS, result["tokens"])]
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(dict(cases=cases), f)
        f.write("\n")


if __name__ == "__main__":
    main()
