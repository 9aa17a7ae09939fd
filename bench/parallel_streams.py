#!/usr/bin/env python3
"""Aggregate generation speed of `phi serve --parallel N` for 1, 2, 4... concurrent streams.

    python3 bench/parallel_streams.py MODEL.gguf [--streams 1,2,4] [-n 64] [-r 3] [--threads 2] [--ctx 512]

Starts one server (`phi serve --parallel MAX(streams)`, a Release build of src/PhiSharp.Cli, built first) and, per
round, runs each stream count in turn: that many clients at once, each streaming /v1/completions with its own short
prompt, greedy (temperature 0), `-n` tokens. Prompts are evaluated before or beside the others' decoding, so the
measure is the window in which every stream is generating: aggregate tok/s = the token events of all streams inside
[the last stream's first token, the first stream's last token] ÷ that window's length.
Prints one JSON line per measurement, then the median and range per stream count and its ratio to one stream.
Standard library only.
"""
import argparse
import http.client
import json
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stream(port, prompt, tokens, out):
    """One streamed completion: the times of its first and last token events and the completion token count."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    body = {"prompt": prompt, "max_tokens": tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    conn.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]}")
    times = []
    usage = None
    for line in response:
        line = line.strip()
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        event = json.loads(line[6:])
        if event.get("usage"):
            usage = event["usage"]
        elif event.get("choices"):
            times.append(time.monotonic())
    conn.close()
    out.append({"times": times, "tokens": usage["completion_tokens"]})


def measure(port, streams, tokens, tag):
    results, threads = [], []
    for i in range(streams):
        prompt = f"Stream {i}, round {tag}:"
        threads.append(threading.Thread(target=stream, args=(port, prompt, tokens, results)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(results) != streams:
        raise RuntimeError("a stream failed")
    start, end = max(r["times"][0] for r in results), min(r["times"][-1] for r in results)
    span = end - start
    generated = sum(sum(1 for t in r["times"] if start < t <= end) for r in results)
    return {"streams": streams, "generated": generated, "seconds": round(span, 2), "tok_s": round(generated / span, 2),
            "tokens": [r["tokens"] for r in results]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--streams", default="1,2,4")
    parser.add_argument("-n", type=int, default=64)
    parser.add_argument("-r", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=512)
    args = parser.parse_args()
    counts = [int(s) for s in args.streams.split(",")]

    subprocess.run(["dotnet", "build", "src/PhiSharp.Cli", "-c", "Release", "-v", "q", "--nologo"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(["dotnet", str(ROOT / "src/PhiSharp.Cli/bin/Release/net10.0/phi.dll"), "serve",
                               "--model", args.model, "--parallel", str(max(counts)), "--threads", str(args.threads),
                               "--ctx", str(args.ctx), "--port", str(port), "--no-mmap"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(1)
        else:
            raise RuntimeError("the server did not start")
        measure(port, 1, 8, "warm-up")
        runs = {n: [] for n in counts}
        for round_ in range(args.r):
            for n in counts:
                result = measure(port, n, args.n, f"{round_}-{n}")
                runs[n].append(result["tok_s"])
                print(json.dumps(result), flush=True)
        one = statistics.median(runs[counts[0]])
        print(f"\n| streams | aggregate tok/s (median) | range | × {counts[0]} stream(s) |\n| --- | --- | --- | --- |")
        for n in counts:
            median = statistics.median(runs[n])
            print(f"| {n} | {median:.2f} | {min(runs[n]):.2f}–{max(runs[n]):.2f} | {median / one:.2f} |")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
