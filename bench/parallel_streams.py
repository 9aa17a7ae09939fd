#!/usr/bin/env python3
"""Aggregate generation speed of `phi serve --parallel N` for 1, 2, 4... concurrent streams.

    python3 bench/parallel_streams.py MODEL.gguf [--streams 1,2,4] [-n 64] [-r 3] [--threads 2] [--ctx 512]

Starts one server (`phi serve --parallel MAX(streams)`, a Release build of src/PhiSharp.Cli, built first) and, per
round, runs each stream count in turn: that many clients at once, each streaming /v1/completions with its own short
prompt, greedy (temperature 0), `-n` tokens. Prompts are evaluated before or beside the others' decoding, so the
measure is the window in which every stream is generating: aggregate tok/s = the token events of all streams inside
[the last stream's first token, the first stream's last token] ÷ that window's length.
Before the rounds every stream count runs once unmeasured, long enough for the JIT to finish its tiers (with one short
warm-up the first round paid for background compilation: ~13 ms of CPU per 1-stream step, docs/SERVER.md).
Prints one JSON line per measurement, then the median and range per stream count and its ratio to one stream. Each
line also says how much CPU the server and this client used in the measurement (`server_cores`: CPU seconds per
second; about --threads when the engine had its cores, less when other processes took them) and the 1-minute load.
Standard library only.
"""
import argparse
import http.client
import json
import os
import resource
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


def cpu_seconds(pid):
    """CPU seconds (user + system) process pid has used, or None where /proc does not tell (not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def client_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(port, streams, tokens, tag, server_pid=None):
    results, threads = [], []
    began, server_cpu, client_cpu = time.monotonic(), cpu_seconds(server_pid), client_seconds()
    for i in range(streams):
        prompt = f"Stream {i}, round {tag}:"
        threads.append(threading.Thread(target=stream, args=(port, prompt, tokens, results)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(results) != streams:
        raise RuntimeError("a stream failed")
    wall, server_end = time.monotonic() - began, cpu_seconds(server_pid)
    start, end = max(r["times"][0] for r in results), min(r["times"][-1] for r in results)
    span = end - start
    generated = sum(sum(1 for t in r["times"] if start < t <= end) for r in results)
    return {"streams": streams, "generated": generated, "seconds": round(span, 2), "tok_s": round(generated / span, 2),
            "tokens": [r["tokens"] for r in results],
            "server_cores": None if server_cpu is None or server_end is None else round((server_end - server_cpu) / wall, 2),
            "client_cpu_s": round(client_seconds() - client_cpu, 3), "load": os.getloadavg()[0]}


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
        for n in counts:
            measure(port, n, 32, f"warm-up-{n}")
        runs = {n: [] for n in counts}
        for round_ in range(args.r):
            for n in counts:
                result = measure(port, n, args.n, f"{round_}-{n}", server.pid)
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
