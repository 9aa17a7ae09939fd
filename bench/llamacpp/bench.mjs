// llama.cpp measured the way `phi bench` measures PhiSharp: a prompt of seeded random token ids, then greedy
// generation; prints JSON with the same fields (pp_tps, tg_tps, ttft_ms, load_ms, peak_rss_bytes).
// Usage: node bench.mjs MODEL.gguf [-p 512] [-n 128] [-t 2] [--no-mmap]
// bench/compare.py always passes --no-mmap: PhiSharp reads its weights too, and mapped pages are evicted on these VMs.
// peak_rss_bytes is the whole node process (VmHWM), so it includes node's own ~50 MB.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
};
const modelPath = args[0];
const promptTokens = option("-p", 512), genTokens = option("-n", 128), threads = option("-t", 2);

const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
let start = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: !args.includes("--no-mmap") });
const loadMs = performance.now() - start;
const context = await model.createContext({ contextSize: promptTokens + genTokens + 8, batchSize: 512, threads });
const sequence = context.getSequence();

let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const prompt = Array.from({ length: promptTokens }, () => 3 + Math.floor(random() * 31990));

start = performance.now();
let first = 0, produced = 0;
for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
    void token;
    if (produced === 0) first = performance.now();
    if (++produced >= genTokens + 1) break;
}
const end = performance.now();
const ttft = first - start;
const peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
console.log(JSON.stringify({
    engine: "llama.cpp (node-llama-cpp 3.22.1)", model: modelPath, threads, prompt_tokens: promptTokens,
    gen_tokens: genTokens, load_ms: Math.round(loadMs), pp_tps: promptTokens / (ttft / 1000),
    tg_tps: genTokens / ((end - first) / 1000), ttft_ms: Math.round(ttft), peak_rss_bytes: peak,
}));
await context.dispose();
await model.dispose();
