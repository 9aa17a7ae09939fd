// Encode throughput of tiktoken (npm `tiktoken`: Rust core as WASM) on text files, single-threaded, MB (10^6 UTF-8
// bytes) per second; the counterpart of tools/bench/tokenizer_throughput.cs.
// Usage: node throughput.mjs <tiktoken dir> <text file>...
import fs from 'node:fs';
import path from 'node:path';
import { Tiktoken } from 'tiktoken';

const [dir, ...files] = process.argv.slice(2);
for (const name of ['gpt2', 'cl100k_base', 'o200k_base']) {
  const spec = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const enc = new Tiktoken(fs.readFileSync(path.join(dir, `${name}.tiktoken`), 'utf8'), spec.special_tokens, spec.pat_str);
  console.log(`${name}:`);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const megabytes = Buffer.byteLength(text, 'utf8') / 1e6;
    let start = performance.now();
    const tokens = enc.encode_ordinary(text).length;
    const first = (performance.now() - start) / 1000;
    let best = Infinity;
    for (let pass = 0; pass < 3; pass++) {
      start = performance.now();
      enc.encode_ordinary(text);
      best = Math.min(best, (performance.now() - start) / 1000);
    }
    console.log(`  ${path.basename(file)}: ${megabytes.toFixed(2)} MB, ${tokens} tokens, first pass ${(megabytes / first).toFixed(1)} MB/s, warm ${(megabytes / best).toFixed(1)} MB/s`);
  }
  enc.free();
}
