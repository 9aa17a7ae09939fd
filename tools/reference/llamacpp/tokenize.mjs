// Tokenizes every corpus line with llama.cpp (through node-llama-cpp's prebuilt CPU binaries) and writes the ids.
// Usage: node tokenize.mjs JOBS.json
// JOBS.json: [{"model": "a.gguf", "corpus": "lines.jsonl" (objects with "text"), "out": "a.ids.jsonl", "special": true}]
// Each output line is {"special": ids with special-token text parsed (only when the job asks), "plain": ids with it
// taken as text}, from
// model.tokenize(text, specialTokens), which calls common_tokenize(vocab, text, add_special = false, parse_special):
// no BOS or EOS is added whatever the file says.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { readFileSync, writeFileSync } from "node:fs";

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });

for (const job of jobs) {
    const model = await llama.loadModel({ modelPath: job.model, gpuLayers: 0 });
    const lines = readFileSync(job.corpus, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
    const out = lines.map((text) => JSON.stringify(job.special
        ? { special: Array.from(model.tokenize(text, true)), plain: Array.from(model.tokenize(text, false)) }
        : { plain: Array.from(model.tokenize(text, false)) }));
    writeFileSync(job.out, out.join("\n") + "\n");
    await model.dispose();
}
