// Talks to a running `phi serve` with the official openai npm client and checks what comes back.
//   npm install && node chat.mjs [baseURL] [apiKey]
// baseURL defaults to http://127.0.0.1:8080/v1. Exits non-zero if a reply is not what the client expects.
import OpenAI from "openai";
import assert from "node:assert/strict";

const baseURL = process.argv[2] ?? "http://127.0.0.1:8080/v1";
const client = new OpenAI({ baseURL, apiKey: process.argv[3] ?? "not-needed", maxRetries: 0 });

const models = await client.models.list();
const model = models.data[0].id;
console.log(`model: ${model}`);

const messages = [{ role: "user", content: "Say hello." }];
const whole = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0.7, seed: 1 });
assert.equal(whole.object, "chat.completion");
assert.equal(whole.choices[0].message.role, "assistant");
assert.ok(["stop", "length"].includes(whole.choices[0].finish_reason));
assert.equal(whole.usage.total_tokens, whole.usage.prompt_tokens + whole.usage.completion_tokens);
console.log(`non-streaming: ${JSON.stringify(whole.choices[0].message.content)} (${whole.usage.completion_tokens} tokens)`);

const stream = await client.chat.completions.create({
  model, messages, max_tokens: 16, temperature: 0.7, seed: 1, stream: true, stream_options: { include_usage: true },
});
let text = "", usage = null, finish = null;
for await (const chunk of stream) {
  assert.equal(chunk.object, "chat.completion.chunk");
  if (chunk.usage) usage = chunk.usage;
  const choice = chunk.choices[0];
  if (choice?.delta?.content) text += choice.delta.content;
  if (choice?.finish_reason) finish = choice.finish_reason;
}
assert.equal(text, whole.choices[0].message.content, "the same seed streams the same reply");
assert.equal(finish, whole.choices[0].finish_reason);
assert.deepEqual(usage, whole.usage);
console.log(`streaming:     ${JSON.stringify(text)} (${usage.completion_tokens} tokens)`);

await assert.rejects(client.chat.completions.create({ model: "no-such-model", messages }), e => e.status === 404);
console.log("ok");
