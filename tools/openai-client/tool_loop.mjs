// The official openai npm client's tool calling against a running `phi serve`:
//   npm ci && node tool_loop.mjs [baseURL]
// A conversation calls get_temperature, then to_fahrenheit, then answers in text (tool_choice forces each round, since
// the test models are random); rounds alternate between the client's stream helper, which assembles tool calls from
// the streamed deltas, and plain requests. Then the client's own loop, runTools, runs a named function. Each call's
// arguments must parse and have the declared types. Prints one JSON line; exits non-zero on any failure.
import OpenAI from "openai";
import assert from "node:assert/strict";

const baseURL = process.argv[2] ?? "http://127.0.0.1:8080/v1";
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0 });
const model = (await client.models.list()).data[0].id;

const implementations = {
  get_temperature: ({ city }) => { assert.equal(typeof city, "string"); return { celsius: city.length }; },
  to_fahrenheit: ({ celsius }) => { assert.equal(typeof celsius, "number"); return { fahrenheit: celsius * 9 / 5 + 32 }; },
};
const tools = [
  { type: "function", function: { name: "get_temperature", description: "Current temperature in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
  { type: "function", function: { name: "to_fahrenheit", description: "Converts Celsius to Fahrenheit",
    parameters: { type: "object", properties: { celsius: { type: "number" } }, required: ["celsius"] } } },
];
const request = { model, tools, parallel_tool_calls: false, max_tokens: 150, temperature: 1.5, seed: 7 };

const messages = [{ role: "user", content: "How warm is Oslo in Fahrenheit?" }];
const called = [];
const rounds = [
  { choice: { type: "function", function: { name: "get_temperature" } }, stream: true },
  { choice: { type: "function", function: { name: "to_fahrenheit" } }, stream: false },
  { choice: "none", stream: true },
];
for (const { choice, stream } of rounds) {
  const params = { ...request, messages, tool_choice: choice };
  const completion = stream
    ? await client.chat.completions.stream(params).finalChatCompletion()
    : await client.chat.completions.create(params);
  const { message, finish_reason } = completion.choices[0];
  messages.push(message);
  if (choice === "none") {
    assert.notEqual(finish_reason, "tool_calls");
    assert.equal(typeof (message.content ?? ""), "string", JSON.stringify(message));
    break;
  }
  assert.equal(finish_reason, "tool_calls");
  assert.equal(message.tool_calls.length, 1);
  for (const call of message.tool_calls) {
    assert.equal(call.function.name, choice.function.name);
    assert.match(call.id, /^call_/);
    const result = implementations[call.function.name](JSON.parse(call.function.arguments));
    called.push(call.function.name);
    messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
  }
}
assert.deepEqual(called, ["get_temperature", "to_fahrenheit"]);

// runTools: with a named function it calls it once and returns.
const ran = [];
const runner = client.chat.completions.runTools({
  ...request,
  messages: [{ role: "user", content: "Temperature in Rome?" }],
  tool_choice: { type: "function", function: { name: "get_temperature" } },
  tools: [{ type: "function", function: { name: "get_temperature", description: "Current temperature in a city",
    parameters: tools[0].function.parameters, parse: JSON.parse,
    function: (args) => { ran.push(args); return implementations.get_temperature(args); } } }],
});
await runner.done();
assert.equal(ran.length, 1);

console.log(JSON.stringify({ ok: true, called, answer: messages.at(-1).content, runTools: ran }));
