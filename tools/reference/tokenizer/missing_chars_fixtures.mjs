// Reference encodings by Hugging Face `tokenizers` (Rust core, npm bindings) for a vocabulary that holds the piece "ра"
// but not its characters "р" and "а": Phi-3's tokenizer.json with those two pieces renamed "[PAD<id>]" and every merge
// that uses them removed, pipeline as written. HF's BPE turns a character that is not a piece into its byte tokens before merging, so
// "ра" can no longer be reached; llama.cpp reaches it from the characters (tests/fixtures/tokenizer_gguf,
// tools/reference/llamacpp/spm_tokenizer_fixtures.py, which removes the same pieces and tokenizes the same texts).
//
// Writes tests/fixtures/tokenizer/phi3_without_ra_chars.ids.jsonl: for each text of
// tests/fixtures/tokenizer_gguf/spm_texts.jsonl, special (special tokens parsed) and plain ids.
//
// Usage: (cd tools/reference/tokenizer && npm install && node missing_chars_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const removed = new Set(['р', 'а']);

const json = JSON.parse(fs.readFileSync(path.join(repo, 'tests/fixtures/tokenizer/phi3/tokenizer.json'), 'utf8'));
const pair = m => typeof m === 'string' ? m.split(' ') : m;
// Renamed rather than deleted: HF renumbers the added tokens after a vocabulary with holes.
const vocab = Object.fromEntries(Object.entries(json.model.vocab).map(([piece, id]) => [removed.has(piece) ? `[PAD${id}]` : piece, id]));
const merges = json.model.merges.filter(m => !pair(m).some(p => removed.has(p)));
const reduced = { ...json, model: { ...json.model, vocab, merges } };
const withSpecial = Tokenizer.fromString(JSON.stringify(reduced));
const plain = Tokenizer.fromString(JSON.stringify({ ...reduced, added_tokens: reduced.added_tokens.filter(t => !t.special) }));

const texts = fs.readFileSync(path.join(repo, 'tests/fixtures/tokenizer_gguf/spm_texts.jsonl'), 'utf8')
  .trim().split('\n').map(l => JSON.parse(l).text);
const lines = [];
for (const text of texts) {
  lines.push(JSON.stringify({
    special: (await withSpecial.encode(text, null, { addSpecialTokens: false })).getIds(),
    plain: (await plain.encode(text, null, { addSpecialTokens: false })).getIds(),
  }));
}
fs.writeFileSync(path.join(repo, 'tests/fixtures/tokenizer/phi3_without_ra_chars.ids.jsonl'), lines.join('\n') + '\n');
console.log(`phi3_without_ra_chars: ${lines.length} texts, ${json.model.merges.length - merges.length} merges removed`);
