#!/usr/bin/env python3
"""PhiSharp against llama.cpp on the same GGUF file, alternating runs so that both see the same machine noise.

    python3 bench/compare.py MODEL.gguf [-p 512] [-n 64] [-r 3] [--threads 2]

Runs `phi bench --json` (a Release build of src/PhiSharp.Cli, built first) and bench/llamacpp/bench.mjs
(node-llama-cpp; `npm install` in bench/llamacpp first) r times each, in turn, then prints one JSON line per run and
a table of medians and PhiSharp / llama.cpp ratios. Standard library only.
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["pp_tps", "tg_tps", "ttft_ms", "load_ms", "peak_rss_bytes"]


def last_json_line(output):
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in the output:\n" + output)


def run(command, cwd):
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return last_json_line(done.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("-p", type=int, default=512)
    parser.add_argument("-n", type=int, default=64)
    parser.add_argument("-r", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    model = str(Path(args.model).resolve())

    subprocess.run(["dotnet", "build", "src/PhiSharp.Cli", "-c", "Release", "-v", "q", "--nologo"], cwd=ROOT, check=True,
                   capture_output=True)
    phi = ["dotnet", str(ROOT / "src/PhiSharp.Cli/bin/Release/net10.0/phi.dll"), "bench", "--model", model,
           "-p", str(args.p), "-n", str(args.n), "--threads", str(args.threads), "--json"]
    llama = ["node", "bench.mjs", model, "-p", str(args.p), "-n", str(args.n), "-t", str(args.threads)]

    results = {"PhiSharp": [], "llama.cpp": []}
    for _ in range(args.r):
        results["PhiSharp"].append(run(phi, ROOT))
        print(json.dumps(results["PhiSharp"][-1]), flush=True)
        results["llama.cpp"].append(run(llama, ROOT / "bench/llamacpp"))
        print(json.dumps(results["llama.cpp"][-1]), flush=True)

    medians = {engine: {f: statistics.median(r[f] for r in runs) for f in FIELDS} for engine, runs in results.items()}
    print(f"\nmedians of {args.r} runs, {Path(model).name}, -p {args.p} -n {args.n}, {args.threads} threads")
    print(f"{'':10} {'pp tok/s':>9} {'tg tok/s':>9} {'peak RSS':>9} {'load':>8}")
    for engine, m in medians.items():
        print(f"{engine:10} {m['pp_tps']:9.1f} {m['tg_tps']:9.1f} {m['peak_rss_bytes'] / 1e9:7.2f} GB {m['load_ms'] / 1e3:6.1f} s")
    a, b = medians["PhiSharp"], medians["llama.cpp"]
    print(f"{'ratio':10} {a['pp_tps'] / b['pp_tps']:8.2f}x {a['tg_tps'] / b['tg_tps']:8.2f}x "
          f"{a['peak_rss_bytes'] / b['peak_rss_bytes']:8.2f}x")


if __name__ == "__main__":
    main()
