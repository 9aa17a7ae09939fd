// Reference encodings of the corpus by tiktoken (OpenAI's Rust core compiled to WASM, npm `tiktoken`) for the
// cl100k_base and o200k_base rank files in shared/fixtures/tokenizers/tiktoken (each with its .json: pat_str and
// special tokens, as tiktoken's own registry defines them).
//
// Writes tests/fixtures/tokenizer/<name>.ids.jsonl, one object per corpus line:
//   special: encode(text, allowed_special="all") — special-token text becomes its id
//   plain:   encode_ordinary(text) — special-token text is ordinary text
//
// Usage: (cd tools/reference/tokenizer && npm install && node tiktoken_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tiktoken } from 'tiktoken';
import { sharedFixtures } from './shared_fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const fixtures = path.join(repo, 'tests/fixtures/tokenizer');
const tiktokenDir = path.join(sharedFixtures(repo), 'tokenizers/tiktoken');

const corpus = fs.readFileSync(path.join(fixtures, 'corpus.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l).text);

for (const name of ['cl100k_base', 'o200k_base']) {
  const spec = JSON.parse(fs.readFileSync(path.join(tiktokenDir, `${name}.json`), 'utf8'));
  const ranks = fs.readFileSync(path.join(tiktokenDir, `${name}.tiktoken`), 'utf8');
  const enc = new Tiktoken(ranks, spec.special_tokens, spec.pat_str);
  const lines = corpus.map(text => JSON.stringify({
    special: Array.from(enc.encode(text, 'all')),
    plain: Array.from(enc.encode_ordinary(text)),
  }));
  enc.free();
  const short = name.replace('_base', '');
  fs.writeFileSync(path.join(fixtures, `${short}.ids.jsonl`), lines.join('\n') + '\n');
  console.log(`${short}: ${lines.length} lines`);
}
