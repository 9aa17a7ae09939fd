#!/usr/bin/env python3
"""PhiSharp against llama.cpp on the same GGUF file, engines alternating so that all see the same machine noise.

    python3 bench/compare.py MODEL.gguf [-p 512] [-n 64] [-r 3] [--threads 2] [--depth 2048]
                             [--llama-bench PATH] [--llamasharp]

Every engine follows llama-bench's protocol: a warm-up, the prompt from an empty cache, then generation from an empty
cache (or after --depth tokens that are evaluated but not timed). Every engine reads its weights into memory; none
maps the file. These VMs reclaim mapped pages during slow decoding
and re-read them, so an engine that maps is handicapped and a ratio against it means nothing.
- PhiSharp: `phi bench --no-mmap --json` (a Release build of src/PhiSharp.Cli, built first).
- llama.cpp (node-llama-cpp): bench/llamacpp/bench.mjs --no-mmap (`npm install` in bench/llamacpp first).
- llama.cpp (native): with --llama-bench PATH, a `llama-bench` built from llama.cpp's source on this machine
  (GGML_NATIVE=ON, outside this repository), run with `-lm none` (weights read). Skipped when PATH is absent.
- LLamaSharp 0.30: with --llamasharp, bench/llamasharp (built first; LoadMode None).
Each round runs every engine once, in turn; the table gives medians and each engine's ratio PhiSharp / engine.
--depth D measures generation after D tokens in the cache (llama-bench -p 0 -d D); no prompt speed is then measured.
Peak RSS is each child's own maximum resident set (wait4). Standard library only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["pp_tps", "tg_tps", "peak_rss_bytes"]


def last_json(output):
    """The JSON the engine printed last: a line starting with {, or llama-bench's [ ... ] array."""
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    if "[" not in output:
        raise RuntimeError("no JSON in the output:\n" + output)
    return json.loads(output[output.index("["):output.rindex("]") + 1])


class Engine:
    def __init__(self, name, command, cwd, parse):
        self.name, self.command, self.cwd, self.parse, self.runs = name, command, cwd, parse, []

    def measure(self):
        started = time.monotonic()
        with tempfile.TemporaryFile() as stderr_file, \
                subprocess.Popen(self.command, cwd=self.cwd, stdout=subprocess.PIPE, stderr=stderr_file) as child:
            out = child.stdout.read().decode()
            # wait4 reaps the child and gives its own resource usage (not the maximum over every child so far).
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            stderr_file.seek(0)
            err = stderr_file.read().decode(errors="replace")
        if child.returncode != 0:
            sys.exit(f"{self.name}: {' '.join(map(str, self.command))} failed ({child.returncode}):\n{out}\n{err}")
        result = self.parse(last_json(out))
        result["peak_rss_bytes"] = usage.ru_maxrss * 1024
        result["wall_s"] = round(time.monotonic() - started, 1)
        self.runs.append(result)
        print(json.dumps({"engine": self.name, **result}), flush=True)


def same_fields(result):
    return {"pp_tps": result["pp_tps"], "tg_tps": result["tg_tps"]}


def llama_bench_fields(rows):
    # One row per test: pp (n_prompt > 0, n_gen 0) and tg (n_gen > 0); avg_ts is tokens/s over its repetitions.
    pp = next((r["avg_ts"] for r in rows if r["n_prompt"] > 0 and r["n_gen"] == 0), float("nan"))
    tg = next(r["avg_ts"] for r in rows if r["n_gen"] > 0)
    return {"pp_tps": pp, "tg_tps": tg}


def quotient(ours, theirs):
    """ours / theirs, or None where either was not measured (0, or NaN: no prompt with --depth)."""
    return ours / theirs if ours and theirs and theirs == theirs else None


def ratio(value, suffix="x"):
    return "-" if value is None else f"{value:.2f}{suffix}"


def paired_median(ours, theirs, field):
    ratios = [q for a, b in zip(ours, theirs) if (q := quotient(a[field], b[field])) is not None]
    return ratio(statistics.median(ratios) if ratios else None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("-p", type=int, default=512)
    parser.add_argument("-n", type=int, default=64)
    parser.add_argument("-r", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--depth", type=int, default=0, help="generate after a prompt of this many tokens")
    parser.add_argument("--llama-bench", help="path of a native llama-bench build")
    parser.add_argument("--llamasharp", action="store_true", help="also run LLamaSharp 0.30 (bench/llamasharp)")
    parser.add_argument("--no-node", action="store_true", help="skip node-llama-cpp")
    args = parser.parse_args()
    model = str(Path(args.model).resolve())
    prompt = 0 if args.depth else args.p
    shape = ["-p", str(prompt), "-n", str(args.n), "-d", str(args.depth)]
    t = str(args.threads)

    subprocess.run(["dotnet", "build", "src/PhiSharp.Cli", "-c", "Release", "-v", "q", "--nologo"], cwd=ROOT, check=True,
                   capture_output=True)
    engines = [Engine("PhiSharp", ["dotnet", str(ROOT / "src/PhiSharp.Cli/bin/Release/net10.0/phi.dll"), "bench",
                                   "--model", model, *shape, "--threads", t,
                                   "--no-mmap", "--json"], ROOT, same_fields)]
    if args.llama_bench:
        if Path(args.llama_bench).is_file():
            engines.append(Engine("llama.cpp (llama-bench)", [args.llama_bench, "-m", model, "-t", t, "-lm", "none",
                                  "-r", "1", "-o", "json", *shape], ROOT, llama_bench_fields))
        else:
            print(f"note: {args.llama_bench} does not exist; the native llama.cpp anchor is skipped", file=sys.stderr)
    if not args.no_node:
        engines.append(Engine("llama.cpp (node-llama-cpp)", ["node", "bench.mjs", model, *shape, "-t", t, "--no-mmap"], ROOT / "bench/llamacpp", same_fields))
    if args.llamasharp:
        subprocess.run(["dotnet", "build", "bench/llamasharp", "-c", "Release", "-v", "q", "--nologo"], cwd=ROOT,
                       check=True, capture_output=True)
        engines.append(Engine("LLamaSharp 0.30", ["dotnet", str(ROOT / "bench/llamasharp/bin/Release/net10.0/llamasharp-bench.dll"),
                              model, *shape, "-t", t], ROOT, same_fields))

    for _ in range(args.r):
        for engine in engines:
            engine.measure()

    medians = {e.name: {f: statistics.median(r[f] for r in e.runs) for f in FIELDS} for e in engines}
    what = f"generation after {args.depth} tokens" if args.depth else f"-p {args.p} -n {args.n}"
    print(f"\nmedians of {args.r} rounds, {Path(model).name}, {what}, {args.threads} threads, weights read (not mapped)")
    print(f"{'':28} {'pp tok/s':>9} {'tg tok/s':>9} {'peak RSS':>10}   PhiSharp / engine: prompt, generation, RSS")
    ours = medians["PhiSharp"]
    for name, m in medians.items():
        ratios = "" if name == "PhiSharp" else "   " + "  ".join(ratio(quotient(ours[f], m[f])) for f in FIELDS)
        print(f"{name:28} {m['pp_tps']:9.1f} {m['tg_tps']:9.1f} {m['peak_rss_bytes'] / 1e9:7.2f} GB{ratios}")
    # The machine's noise moves both engines of a round together more than it moves rounds apart, so the median of
    # each round's own ratio is the steadier figure when rounds spread.
    print("median of the rounds' own ratios (PhiSharp / engine in the same round): prompt, generation, RSS")
    for engine in engines[1:]:
        paired = [" ".join(ratio(quotient(mine[f], theirs[f]), suffix="") for f in FIELDS)
                  for mine, theirs in zip(engines[0].runs, engine.runs)]
        medians_of_ratios = "  ".join(paired_median(engines[0].runs, engine.runs, f) for f in FIELDS)
        print(f"{engine.name:28} {medians_of_ratios}   rounds: {' | '.join(paired)}")


if __name__ == "__main__":
    main()
