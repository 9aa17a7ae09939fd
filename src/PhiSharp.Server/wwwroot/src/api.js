// The server's OpenAI-compatible API as the page uses it: the API key on every call, errors turned into sentences a
// user can act on, and the event stream of /v1/chat/completions parsed into chunks.
const keyName = "phisharp.apiKey";

export const apiKey = {
  get: () => localStorage.getItem(keyName) ?? "",
  set: key => localStorage.setItem(keyName, key),
};

/** An error the server answered (or the network gave), with the message to show and the OpenAI error code. */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(json) {
  const h = json ? { "Content-Type": "application/json" } : {};
  const key = apiKey.get();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

async function explain(response, context) {
  const body = await response.json().catch(() => null);
  const detail = body?.error?.message ?? response.statusText;
  const code = body?.error?.code ?? null;
  const message =
    response.status === 401 ? (apiKey.get() ? "The server refused this API key." : "This server needs an API key.") :
    response.status === 503 ? "The server is busy: every slot is working and its queue is full. Try again in a moment." :
    code === "context_length_exceeded" ? `The conversation no longer fits the model's context${context ? ` of ${context} tokens` : ""}: start a new conversation, or edit an earlier message to shorten it. (${detail})` :
    detail;
  return new ApiError(message, response.status, code);
}

async function send(path, init, context) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError("The server cannot be reached: is phi serve still running?", 0, "network");
  }
  if (!response.ok) throw await explain(response, context);
  return response;
}

export async function getJson(path) {
  return (await send(path, { headers: headers(false) })).json();
}

/**
 * Posts a chat request with stream: true and yields each chat.completion.chunk as it arrives.
 * @param context the slot's context in tokens, named in the message when the conversation no longer fits.
 */
export async function* streamChat(body, signal, context) {
  const response = await send("/v1/chat/completions", {
    method: "POST", headers: headers(true), signal,
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  }, context);
  // Server-sent events: "data: {json}" separated by blank lines, ending with "data: [DONE]".
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      yield JSON.parse(event.slice(6));
    }
  }
}
