// Reference encodings of the corpus by Hugging Face `tokenizers` (its Rust core, through the npm bindings)
// for SentencePiece-BPE tokenizer.json files (Phi-3's Llama-2 vocabulary).
//
// Writes tests/fixtures/tokenizer/<name>.ids.jsonl, one object per corpus line:
//   special: ids with special-token text recognised (HF's default encode, add_special_tokens=false)
//   plain:   ids with special-token text encoded as ordinary text (HF's split_special_tokens /
//            encode_special_tokens; emulated by dropping the special added tokens from a copy of the file,
//            which is what that flag does: non-special added tokens are still split out)
//   decoded / decodedSkip: HF decode of `special` without / with skip_special_tokens
// and <name>.decode.jsonl: decodes of hand-made id lists (broken UTF-8 byte tokens and the like).
//
// Usage: (cd tools/reference/tokenizer && npm install && node sentencepiece_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const fixtures = path.join(repo, 'tests/fixtures/tokenizer');


const corpus = fs.readFileSync(path.join(fixtures, 'corpus.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l).text);

async function writeFixtures(name, tokenizerJsonPath, decodeCases) {
  const json = JSON.parse(fs.readFileSync(tokenizerJsonPath, 'utf8'));
  const withSpecial = Tokenizer.fromString(JSON.stringify(json));
  const plainJson = { ...json, added_tokens: json.added_tokens.filter(t => !t.special) };
  const plain = Tokenizer.fromString(JSON.stringify(plainJson));

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
  fs.writeFileSync(path.join(fixtures, `${name}.ids.jsonl`), lines.join('\n') + '\n');

  const decodes = [];
  for (const ids of decodeCases) {
    decodes.push(JSON.stringify({ ids, decoded: await withSpecial.decode(ids, false), decodedSkip: await withSpecial.decode(ids, true) }));
  }
  fs.writeFileSync(path.join(fixtures, `${name}.decode.jsonl`), decodes.join('\n') + '\n');
  console.log(`${name}: ${lines.length} lines, ${decodes.length} decode cases`);
}

// Byte tokens are <0x00>..<0xFF> at ids 3..258 in the Llama-2 vocabulary.
const b = byte => 3 + byte;
await writeFixtures('phi3', path.join(fixtures, 'phi3/tokenizer.json'), [
  [b(0xE4), b(0xBD), b(0xA0)],               // 你, complete
  [b(0xE4), b(0xBD)],                         // truncated 3-byte sequence
  [b(0xE4)], [b(0xFF)], [b(0x80), b(0x41)],   // lone lead byte, invalid byte, stray continuation
  [b(0xF0), b(0x9F), b(0x98)],                // truncated emoji
  [b(0xE4), 29871, b(0xBD), b(0xA0)],         // a piece between the bytes of one character
  [29871], [29871, 29871], [1, 29871, 15043], [15043, 2, 13, 32007, 32010, 0],
  [32010, 13, 15043, 32007, 13, 32001], [2], [0, 1, 2], [32000, 32001, 32011 - 1],
]);
