// Renders every chat template of tests/fixtures/chat_templates/templates.json (the Phi models' own, copied from their
// tokenizer_config.json, plus two that exercise tools and the interpreter) over the conversations of
// conversations.json with @huggingface/jinja, the Jinja interpreter of transformers.js, and writes renders.json:
// [{template, conversation, add_generation_prompt, expected} or {..., error}] — error where @huggingface/jinja refuses.
// A template marked every_message_has_tool_calls gets tool_calls: [] on each message without any (see below).
// Usage: (cd tools/reference/jinja && npm ci && node render_templates.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../tests/fixtures/chat_templates');
const read = (name) => JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8'));
const templates = read('templates.json');
const conversations = read('conversations.json');

const renders = [];
for (const t of templates) {
  const template = new Template(t.template);
  for (const [name, conversation] of Object.entries(conversations)) {
    for (const addGenerationPrompt of [true, false]) {
      // @huggingface/jinja cannot loop over an undefined value (Python Jinja loops over nothing), so a template that
      // loops over every message's tool_calls is given an empty list where a message has none.
      const messages = t.every_message_has_tool_calls
        ? conversation.messages.map((m) => ({ ...m, tool_calls: m.tool_calls ?? [] }))
        : conversation.messages;
      const variables = { messages, add_generation_prompt: addGenerationPrompt, bos_token: t.bos_token, eos_token: t.eos_token };
      if (conversation.tools) variables.tools = conversation.tools;
      const render = { template: t.name, conversation: name, add_generation_prompt: addGenerationPrompt };
      try {
        render.expected = template.render(structuredClone(variables));
      } catch (e) {
        render.error = String(e.message ?? e);
      }
      renders.push(render);
    }
  }
}
fs.writeFileSync(path.join(fixtures, 'renders.json'), JSON.stringify(renders, null, 1) + '\n');
console.log(`${renders.length} renders (${renders.filter((r) => r.error).length} refused) -> ${path.join(fixtures, 'renders.json')}`);
