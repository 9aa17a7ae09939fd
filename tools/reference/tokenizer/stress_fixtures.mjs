// Random strings built from the characters where split patterns differ most (every letter category, marks, numbers
// of all kinds, astral letters and digits, Unicode whitespace, contractions in both cases, ſ, line breaks, slashes),
// encoded by tiktoken (npm `tiktoken`, Rust core as WASM) with the gpt2, cl100k_base and o200k_base rank files from
// shared/fixtures/tokenizers/tiktoken. The corpus checks ordinary text; this checks the hand-written pre-tokenizers
// against the regex engine tiktoken uses (fancy-regex) on the corner cases.
//
// Writes tests/fixtures/tokenizer/bytelevel_stress.jsonl: {text, gpt2, cl100k, o200k} (encode_ordinary ids).
// Usage: (cd tools/reference/tokenizer && npm install && node stress_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tiktoken } from 'tiktoken';
import { sharedFixtures } from './shared_fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const tiktokenDir = path.join(sharedFixtures(repo), 'tokenizers/tiktoken');

const pool = [
  'a', 'z', 'Q', 'Z', 'é', 'É', 'ß', 'İ', 'ﬁ', 'ǅ', 'ʰ', '中', 'ก', 'ا', '\u0301', '\u0903', '\u20DD',
  '1', '7', '٣', '½', 'Ⅻ', '𝐀', '𝑎', '𝟙', '😀', '\u{1F3FB}', '\u{10400}', '\u{10428}',
  ' ', ' ', ' ', '  ', '\t', '\n', '\n', '\r', '\r\n', '\u00A0', '\u2003', '\u3000', '\u0085', '\u200B', '\u000B',
  "'", "'s", "'S", "'ll", "'LL", "'Ve", "'d", "'t", 'ſ', "'ſ", '.', ',', '/', '//', '-', '_', '"', '(', '{', '$', '=', '+',
  'the', 'The', 'THE', 'getHTTP', 'Response', 'camelCase', '1234567',
];

// Seeded so the fixture is reproducible (mulberry32).
let seed = 0x5eed;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const texts = [];
for (let i = 0; i < 400; i++) {
  const n = 1 + Math.floor(random() * 24);
  let s = '';
  for (let k = 0; k < n; k++) s += pool[Math.floor(random() * pool.length)];
  texts.push(s);
}

const encoders = {};
for (const [key, name] of [['gpt2', 'gpt2'], ['cl100k', 'cl100k_base'], ['o200k', 'o200k_base']]) {
  const spec = JSON.parse(fs.readFileSync(path.join(tiktokenDir, `${name}.json`), 'utf8'));
  encoders[key] = new Tiktoken(fs.readFileSync(path.join(tiktokenDir, `${name}.tiktoken`), 'utf8'), spec.special_tokens, spec.pat_str);
}
const lines = texts.map(text => JSON.stringify({
  text,
  ...Object.fromEntries(Object.entries(encoders).map(([k, e]) => [k, Array.from(e.encode_ordinary(text))])),
}));
fs.writeFileSync(path.join(repo, 'tests/fixtures/tokenizer/bytelevel_stress.jsonl'), lines.join('\n') + '\n');
console.log(`stress: ${lines.length} lines`);
