// Evaluates token sequences with llama.cpp (through node-llama-cpp's prebuilt CPU binaries) and writes its raw logits.
// Usage: node logits.mjs JOBS.json
// JOBS.json: [{"model": "a.gguf", "ids": [1, 5, ...], "context": 256, "positions": [0, 1, ...], "vocabSize": 384,
//              "out": "a.f32"}]
// Each "out" receives positions.length x vocabulary float32 logits (little-endian), one row per listed position.
// The KV cache is kept in F32 and flash attention is off, so the only reduced precision left is llama.cpp's own
// (activations converted to the weight type's dot-product type: F16, BF16, Q8_0 or Q8_K).
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { readFileSync, writeFileSync } from "node:fs";

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const models = new Map();

for (const job of jobs) {
    if (!models.has(job.model)) models.set(job.model, await llama.loadModel({ modelPath: job.model, gpuLayers: 0 }));
    const model = models.get(job.model);
    const context = await model.createContext({
        contextSize: job.context,
        batchSize: Math.min(job.context, 512),
        flashAttention: false,
        experimentalKvCacheKeyType: "F32",
        experimentalKvCacheValueType: "F32",
        threads: 2,
    });
    const sequence = context.getSequence();
    const wanted = new Set(job.positions);
    const input = job.ids.map((id, i) => (wanted.has(i) ? [id, { generateNext: { logits: true } }] : id));
    const results = await sequence.controlledEvaluate(input);
    const size = job.vocabSize;
    const out = new Float32Array(job.positions.length * size);
    job.positions.forEach((p, row) => {
        const logits = results[p]?.next?.logits;
        if (!logits || logits.size !== size) throw new Error(`no full logits for position ${p} of ${job.out}`);
        for (const [token, value] of logits) out[row * size + token] = value;
    });
    writeFileSync(job.out, Buffer.from(out.buffer));
    await context.dispose();
}
for (const model of models.values()) await model.dispose();
