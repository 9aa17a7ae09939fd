// Reference encodings for Phi-3-small's tokenizer by tiktoken (OpenAI's Rust core compiled to WASM, npm `tiktoken`):
// cl100k_base's ranks and split pattern (shared/fixtures/tokenizers/tiktoken) with Phi-3-small's special-token table
// as tokenization_phi3_small.py defines it (tests/fixtures/transformers/phi3small/special_tokens.json, dumped from that
// file by tools/reference/transformers/phi3small_fixtures.py). This is what the remote tokenizer builds:
// tiktoken.Encoding(pat_str=cl100k's, mergeable_ranks=the repository's cl100k_base.tiktoken, special_tokens=table);
// its tokenize() encodes with allowed_special="all".
//
// Writes tests/fixtures/tokenizer/phi3small.ids.jsonl: one object per corpus line, then per extra line (chat markers
// and dummy tokens), each {text, special: encode(text, "all"), plain: encode_ordinary(text)}.
//
// Usage: (cd tools/reference/tokenizer && npm install && node phi3small_fixtures.mjs)
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
const extra = [
  '<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nWhat is Phi-3-small?<|end|>\n<|assistant|>\n',
  '<|user|>\n2 + 2 =<|end|>\n<|assistant|>\n4<|end|>\n<|endoftext|>',
  '<|dummy_id_0|><|dummy_id_2|><|dummy_id_11|><|dummy_id_12|><|dummy_id_86|><|endofprompt|>',
  '<|fim_prefix|>def f(x):<|fim_suffix|>    return y<|fim_middle|>',
  '<|end|><|end|> <|end |> <|user|>x<|assistant|>',
  'text <|dummy_id_87|> is not special, <|dummy_id_85|> is',
];

const spec = JSON.parse(fs.readFileSync(path.join(tiktokenDir, 'cl100k_base.json'), 'utf8'));
const table = JSON.parse(fs.readFileSync(path.join(repo, 'tests/fixtures/transformers/phi3small/special_tokens.json'), 'utf8'));
const ranks = fs.readFileSync(path.join(tiktokenDir, 'cl100k_base.tiktoken'), 'utf8');
const enc = new Tiktoken(ranks, table.special_tokens, spec.pat_str);
const lines = [...corpus, ...extra].map(text => JSON.stringify({
  text,
  special: Array.from(enc.encode(text, 'all')),
  plain: Array.from(enc.encode_ordinary(text)),
}));
enc.free();
fs.writeFileSync(path.join(fixtures, 'phi3small.ids.jsonl'), lines.join('\n') + '\n');
console.log(`phi3small: ${lines.length} lines (${corpus.length} corpus, ${extra.length} extra)`);
