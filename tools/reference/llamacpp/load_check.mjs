// Checks that llama.cpp (node-llama-cpp's prebuilt CPU build) loads a GGUF file and evaluates it: prints JSON with
// the load time, the model's size as llama.cpp reports it, and the greedy next token after a short prompt.
// Usage: node load_check.mjs MODEL.gguf [token ids, comma-separated; default 1,2,3,4,5]
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [modelPath, idsText = "1,2,3,4,5"] = process.argv.slice(2);
const ids = idsText.split(",").map(Number);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 2 });
let start = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const loadMs = performance.now() - start;
const context = await model.createContext({ contextSize: 64, threads: 2 });
const sequence = context.getSequence();
start = performance.now();
const results = await sequence.controlledEvaluate(ids.map((id, i) => (i === ids.length - 1 ? [id, { generateNext: { logits: true } }] : id)));
let best = -1, bestLogit = -Infinity, finite = true;
for (const [token, value] of results[ids.length - 1].next.logits) {
    if (!Number.isFinite(value)) finite = false;
    if (value > bestLogit) { best = token; bestLogit = value; }
}
console.log(JSON.stringify({ model: modelPath, loaded: true, load_ms: Math.round(loadMs), size_bytes: model.size,
    eval_ms: Math.round(performance.now() - start), all_logits_finite: finite, greedy_next: best }));
await context.dispose();
await model.dispose();
