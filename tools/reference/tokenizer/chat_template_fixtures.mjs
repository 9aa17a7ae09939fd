// Renders the chat templates that Phi models ship (as published in their tokenizer_config.json) with
// @huggingface/jinja — the Jinja implementation transformers.js uses — over a few conversations, and writes
// tests/fixtures/tokenizer/chat_templates.jsonl: {name, template, messages, addGenerationPrompt, expected}.
// Usage: (cd tools/reference/tokenizer && npm install && node chat_template_fixtures.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../../../tests/fixtures/tokenizer/chat_templates.jsonl');
const phi3Config = JSON.parse(fs.readFileSync(path.resolve(here, '../../../tests/fixtures/tokenizer/phi3/tokenizer_config.json'), 'utf8'));

const templates = {
  'phi-3-mini-instruct': phi3Config.chat_template,
  'phi-3.5-mini-instruct': "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
  'phi-3-medium-instruct': "{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}",
  'phi-3-mini-instruct-2024-04': "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|system|>' + '\n' + message['content'] + '<|end|>' + '\n'}}{% elif (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif message['role'] == 'assistant' %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}",
  'phi-3-mini-instruct-no-system': "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}",
  'phi-4-mini-instruct': "{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and message['tools'] is not none %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}",
};

const conversations = [
  [{ role: 'user', content: 'Hello' }],
  [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Name a prime.' }],
  [{ role: 'system', content: '' }, { role: 'user', content: 'Hi' }],
  [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello! How can I help?' },
   { role: 'user', content: 'Tell me a joke\nwith two lines.' }],
  [{ role: 'user', content: '  spaced  ' }, { role: 'assistant', content: '' }],
];

const lines = [];
for (const [name, source] of Object.entries(templates)) {
  const template = new Template(source);
  for (const messages of conversations) {
    for (const addGenerationPrompt of [true, false]) {
      const expected = template.render({ messages, add_generation_prompt: addGenerationPrompt, bos_token: '<s>', eos_token: '<|endoftext|>' });
      lines.push(JSON.stringify({ name, template: source, messages, addGenerationPrompt, expected }));
    }
  }
}
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`${lines.length} renders -> ${out}`);
