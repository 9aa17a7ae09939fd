// Reference encodings of the corpus as transformers 5 tokenizes a Phi-3 folder, made by Hugging Face `tokenizers`
// (its Rust core, through the npm bindings) on the tokenizer.json pipeline that transformers 5 builds.
//
// transformers 5's LlamaTokenizer (src/transformers/models/llama/tokenization_llama.py; tokenizer_class
// "LlamaTokenizer" or "LlamaTokenizerFast" in tokenizer_config.json) keeps only the vocabulary and merges of
// tokenizer.json and sets its own pipeline: no normalizer, a Metaspace pre-tokenizer
// (replacement ▁, split false, prepend_scheme from _get_prepend_scheme: "never" without add_prefix_space, else
// "always" when legacy is true and "first" otherwise; legacy defaults to false, add_prefix_space to true),
// BPE(fuse_unk, byte_fallback) and the decoder Replace(▁→" "), ByteFallback, Fuse, Strip(left 1).
// This script applies that rule to tests/fixtures/tokenizer/phi3 and first checks it against transformers 5.17's own
// ids (shared/fixtures/tokenizers/phi3/transformers5.jsonl): any difference stops it.
//
// Writes tests/fixtures/tokenizer/phi3.transformers5.ids.jsonl, one object per corpus line, with the fields of
// phi3.ids.jsonl (sentencepiece_fixtures.mjs): special, plain, decoded, decodedSkip; and
// phi3.transformers5.legacy.ids.jsonl / phi3.transformers5.no_prefix_space.ids.jsonl (special only): the rule with
// tokenizer_config's legacy: true, or add_prefix_space: false.
//
// Usage: (cd tools/reference/tokenizer && npm install && node transformers5_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';
import { sharedFixtures } from './shared_fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const fixtures = path.join(repo, 'tests/fixtures/tokenizer');

function transformers5Pipeline(tokenizerJson, tokenizerConfig) {
  const addPrefixSpace = tokenizerConfig.add_prefix_space ?? true;
  const legacy = tokenizerConfig.legacy ?? false;
  const prependScheme = !addPrefixSpace ? 'never' : legacy ? 'always' : 'first';
  const decoders = [
    { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
  ];
  if (addPrefixSpace) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });
  return {
    ...tokenizerJson,
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme, split: false },
    model: { ...tokenizerJson.model, unk_token: null, fuse_unk: true, byte_fallback: true, dropout: null },
    decoder: { type: 'Sequence', decoders },
  };
}

const json = JSON.parse(fs.readFileSync(path.join(fixtures, 'phi3/tokenizer.json'), 'utf8'));
const config = JSON.parse(fs.readFileSync(path.join(fixtures, 'phi3/tokenizer_config.json'), 'utf8'));
if (!['LlamaTokenizer', 'LlamaTokenizerFast'].includes(config.tokenizer_class)) throw new Error(`tokenizer_class is ${config.tokenizer_class}`);
const v5 = transformers5Pipeline(json, config);
const withSpecial = Tokenizer.fromString(JSON.stringify(v5));
// Special-token text as plain text (split_special_tokens): drop the special added tokens, as sentencepiece_fixtures.mjs does.
const plain = Tokenizer.fromString(JSON.stringify({ ...v5, added_tokens: v5.added_tokens.filter(t => !t.special) }));

// transformers 5.17's ids are the authority: the rebuilt pipeline must reproduce every one of them.
const recorded = fs.readFileSync(path.join(sharedFixtures(repo), 'tokenizers/phi3/transformers5.jsonl'), 'utf8')
  .trim().split('\n').map(l => JSON.parse(l));
for (const { text, ids } of recorded) {
  const ours = (await withSpecial.encode(text, null, { addSpecialTokens: true })).getIds();
  if (JSON.stringify(ours) !== JSON.stringify(ids))
    throw new Error(`pipeline disagrees with transformers 5 on ${JSON.stringify(text)}: ${JSON.stringify(ours)} vs ${JSON.stringify(ids)}`);
}
console.log(`rule reproduces transformers 5 on all ${recorded.length} recorded texts`);

const corpus = fs.readFileSync(path.join(fixtures, 'corpus.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l).text);
const lines = [];
for (const text of corpus) {
  const special = (await withSpecial.encode(text, null, { addSpecialTokens: false })).getIds();
  lines.push(JSON.stringify({
    special,
    plain: (await plain.encode(text, null, { addSpecialTokens: false })).getIds(),
    decoded: await withSpecial.decode(special, false),
    decodedSkip: await withSpecial.decode(special, true),
  }));
}
fs.writeFileSync(path.join(fixtures, 'phi3.transformers5.ids.jsonl'), lines.join('\n') + '\n');
console.log(`phi3.transformers5: ${lines.length} lines`);

// The same rule with the other tokenizer_config flags (not covered by transformers5.jsonl, which is legacy: false).
for (const [name, flags] of [['legacy', { legacy: true }], ['no_prefix_space', { add_prefix_space: false }]]) {
  const variant = Tokenizer.fromString(JSON.stringify(transformers5Pipeline(json, { ...config, ...flags })));
  const out = [];
  for (const text of corpus) out.push(JSON.stringify({ special: (await variant.encode(text, null, { addSpecialTokens: false })).getIds() }));
  fs.writeFileSync(path.join(fixtures, `phi3.transformers5.${name}.ids.jsonl`), out.join('\n') + '\n');
  console.log(`phi3.transformers5.${name}: ${out.length} lines`);
}
