// Pooled sentence embeddings from llama.cpp (node-llama-cpp's prebuilt CPU binaries) for token-id sequences, and
// llama.cpp's own WordPiece tokenization of texts.
// Usage: node embeddings.mjs JOBS.json OUT.json
// JOBS.json: [{"model": "a.gguf", "context": 128, "sequences": [[101, ..., 102], ...], "texts": ["..."]}]
// OUT.json: per job {"embeddings": [[...], ...], "tokens": [[...], ...]}. The embedding is what llama_get_embeddings_seq
// returns: pooled as the file's pooling_type says (CLS or mean) and NOT normalised; attention in float32. The sequences already hold
// [CLS] … [SEP], so node-llama-cpp adds nothing.
import { getLlama, LlamaEmbeddingContext, LlamaLogLevel } from "node-llama-cpp";
import { readFileSync, writeFileSync } from "node:fs";

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const results = [];
for (const job of jobs) {
    const model = await llama.loadModel({ modelPath: job.model, gpuLayers: 0 });
    // createEmbeddingContext as node-llama-cpp builds it, but with flash attention off: its "auto" turns on the CPU
    // flash-attention kernel, which rounds Q, K and V to float16 (≈1e-3 on the result).
    const llamaContext = await model.createContext({
        contextSize: job.context, batchSize: job.context, threads: 2, flashAttention: false, _embeddings: true,
    });
    const context = new LlamaEmbeddingContext({ _llamaContext: llamaContext });
    const embeddings = [];
    for (const ids of job.sequences) embeddings.push((await context.getEmbeddingFor(ids)).vector);
    const tokens = job.texts.map(text => Array.from(model.tokenize(text)));
    results.push({ embeddings, tokens });
    await context.dispose();
    await model.dispose();
}
writeFileSync(process.argv[3], JSON.stringify(results));
