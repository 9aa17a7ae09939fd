// Reference encodings for Phi-4 (14B): Hugging Face `tokenizers` (Rust core, npm bindings; the core behind
// transformers' fast tokenizers) running the tokenizer.json that transformers 4.52.4's TikTokenConverter makes from
// cl100k_base plus Phi-4's added tokens (phi4_tokenizer_json.py writes it; see tests/fixtures/tokenizer/README.md).
//
// Writes
//   tests/fixtures/tokenizer/phi4.ids.jsonl: per corpus line special / plain / decoded / decodedSkip, as in
//     sentencepiece_fixtures.mjs (plain: the special added tokens removed from a copy of the file)
//   tests/fixtures/tokenizer/phi4.chat.ids.jsonl: the same, with the text, for Phi-4 chat-format texts (the corpus holds
//     none of its special tokens but <|endoftext|>)
//
// Usage: python3 phi4_tokenizer_json.py /tmp/phi4-tokenizer.json && node phi4_fixtures.mjs /tmp/phi4-tokenizer.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../../tests/fixtures/tokenizer');
if (process.argv.length !== 3) throw new Error('usage: node phi4_fixtures.mjs TOKENIZER_JSON');

const full = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const withSpecial = Tokenizer.fromString(JSON.stringify(full));
const plain = Tokenizer.fromString(JSON.stringify({ ...full, added_tokens: full.added_tokens.filter(t => !t.special) }));

async function reference(text) {
  const special = (await withSpecial.encode(text, null, { addSpecialTokens: false })).getIds();
  return {
    special,
    plain: (await plain.encode(text, null, { addSpecialTokens: false })).getIds(),
    decoded: await withSpecial.decode(special, false),
    decodedSkip: await withSpecial.decode(special, true),
  };
}

const corpus = fs.readFileSync(path.join(fixtures, 'corpus.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l).text);
const lines = [];
for (const text of corpus) lines.push(JSON.stringify(await reference(text)));
fs.writeFileSync(path.join(fixtures, 'phi4.ids.jsonl'), lines.join('\n') + '\n');

const chat = [
  '<|im_start|>system<|im_sep|>You are a medieval knight.<|im_end|><|im_start|>user<|im_sep|>What is Phi-4?<|im_end|><|im_start|>assistant<|im_sep|>',
  '<|im_start|>user<|im_sep|> leading space and trailing space <|im_end|>\n<|im_start|>assistant<|im_sep|>\n',
  '<|endoftext|><|fim_prefix|>def f(x):<|fim_suffix|>    return y<|fim_middle|>',
  'padding<|dummy_85|><|dummy_85|> and the unused <|dummy_0|>, <|dummy_3|>, <|dummy_4|>, <|dummy_87|>',
  '<|endofprompt|>Reasoning models think between <|dummy_86|> and <|dummy_87|>: 12345 + 678 = 13023',
  'not tokens: <|im_start |>, <|IM_END|>, <|dummy_88|>, <|im_sep|', // near misses stay text
];
fs.writeFileSync(path.join(fixtures, 'phi4.chat.ids.jsonl'),
  (await Promise.all(chat.map(async text => JSON.stringify({ text, ...(await reference(text)) })))).join('\n') + '\n');
console.log(`${corpus.length} corpus lines and ${chat.length} chat texts`);
