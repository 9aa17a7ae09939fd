// llama.cpp measured with llama-bench's protocol, as `phi bench` measures PhiSharp: a warm-up (the prompt and one
// generated token), a prompt of seeded random token ids from an empty cache, then greedy generation from an empty
// cache or after -d tokens that are not timed; prints JSON with the same fields (pp_tps, tg_tps, ttft_ms, load_ms,
// peak_rss_bytes).
// Usage: node bench.mjs MODEL.gguf [-p 512] [-n 128] [-d 0] [-t 2] [--no-mmap]
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
const promptTokens = option("-p", 512), genTokens = option("-n", 128), depth = option("-d", 0), threads = option("-t", 2);

const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
let start = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: !args.includes("--no-mmap") });
const loadMs = performance.now() - start;
const context = await model.createContext({ contextSize: Math.max(promptTokens, depth + genTokens) + 8, batchSize: 512, threads });
const sequence = context.getSequence();

let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const randomIds = count => Array.from({ length: count }, () => 3 + Math.floor(random() * 31990));
const prompt = randomIds(promptTokens), depthIds = randomIds(depth);

// count greedy steps after the sequence's current tokens, starting from token.
async function generate(count, token) {
    let produced = 0;
    if (count === 0) return;
    for await (const next of sequence.evaluate([token], { temperature: 0 })) {
        void next;
        if (++produced >= count) break;
    }
}

if (promptTokens > 0) await sequence.evaluateWithoutGeneratingNewTokens(prompt);   // warm-up, as llama-bench does
if (genTokens > 0) { await sequence.clearHistory(); await generate(1, 3); }

let ppMs = 0;
if (promptTokens > 0) {
    await sequence.clearHistory();
    start = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    ppMs = performance.now() - start;
}
await sequence.clearHistory();
if (depth > 0) await sequence.evaluateWithoutGeneratingNewTokens(depthIds);
start = performance.now();
await generate(genTokens, prompt[0] ?? 3);
const genMs = performance.now() - start;

const peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
console.log(JSON.stringify({
    engine: "llama.cpp (node-llama-cpp 3.22.1)", model: modelPath, threads, prompt_tokens: promptTokens,
    gen_tokens: genTokens, depth, load_ms: Math.round(loadMs), pp_tps: promptTokens === 0 ? 0 : promptTokens / (ppMs / 1000),
    tg_tps: genTokens === 0 ? 0 : genTokens / (genMs / 1000), ttft_ms: Math.round(ppMs), peak_rss_bytes: peak,
}));
await context.dispose();
await model.dispose();
