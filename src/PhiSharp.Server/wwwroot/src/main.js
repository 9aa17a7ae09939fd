// The chat page of `phi serve`: wires the conversation store, the transcript, the settings and the server's API.
import "../styles.css";
import { apiKey, getJson, streamChat } from "./api.js";
import { ConversationStore, newConversation } from "./conversations.js";
import { Settings } from "./settings.js";
import { Sidebar } from "./sidebar.js";
import { Transcript } from "./transcript.js";
import { Attachments } from "./attachments.js";
import { answerStats, contextUsed } from "./stats.js";

const $ = id => document.getElementById(id);
const store = new ConversationStore();
const settings = new Settings($("settings"));
const server = { model: "", context: 0, rag: false };
let conversation = store.get(store.currentId) ?? newConversation();
let controller = null; // aborts the answer in progress
const attachments = new Attachments($("attachments"), notify);

const transcript = new Transcript($("messages"), {
  edit(index, text) {
    if (controller) return;
    const images = conversation.messages[index].images; // an edited message keeps its images
    conversation.messages.splice(index, conversation.messages.length - index, { role: "user", content: text, ...(images ? { images } : {}) });
    answer();
  },
  regenerate,
});

/** Answers the last user message again, replacing the answer it had. */
function regenerate() {
  if (controller) return;
  if (conversation.messages.at(-1)?.role === "assistant") conversation.messages.pop();
  answer();
}

const sidebar = new Sidebar($("conversation-list"), {
  select(id) { open(store.get(id)); },
  rename(id, title) {
    const c = store.get(id);
    if (c.title !== title) { c.title = title; persist(c); }
    refresh();
  },
  remove(id) {
    store.remove(id);
    if (id === conversation.id) open(store.list()[0] ?? newConversation());
    else refresh();
  },
});

function open(next) {
  controller?.abort();
  conversation = next;
  store.currentId = next.id;
  document.body.classList.remove("sidebar-open");
  refresh();
}

/** Redraws the list, the transcript and the context gauge from the current state. */
function refresh() {
  sidebar.show(store.list(), conversation.id);
  transcript.show(conversation, controller !== null);
  const used = contextUsed(conversation);
  $("context-used").textContent = server.context && used ? `context ${used} / ${server.context}` : "";
  $("context-used").classList.toggle("nearly-full", server.context > 0 && used >= 0.9 * server.context);
}

function persist(c) {
  try {
    store.save(c);
  } catch (e) {
    notify(e.message);
  }
}

function notify(message) {
  $("notice").textContent = message;
  $("notice").hidden = !message;
}

function setBusy(busy) {
  $("send").disabled = busy;
  $("stop").disabled = !busy;
}

/** Streams the model's answer to the conversation as it stands (its last message is the user's). */
async function answer() {
  const asked = conversation; // opening another conversation meanwhile aborts this answer, which stays with its own
  notify("");
  persist(asked);
  transcript.show(asked, true);
  const reply = transcript.beginReply();
  controller = new AbortController();
  setBusy(true);
  const system = settings.systemPrompt;
  const request = {
    messages: [...(system ? [{ role: "system", content: system }] : []), ...asked.messages.map(toWire)],
    ...settings.requestFields(),
    ...(server.rag && $("rag").checked ? { rag: true } : {}),
  };
  let usage = null, sources = null, finish = null, pieces = 0, firstAt = 0, lastAt = 0, painting = false, failure = null;
  const paint = () => { painting = false; reply.markdown.render(); transcript.scrollToEnd(); };
  try {
    for await (const chunk of streamChat(request, controller.signal, server.context)) {
      if (chunk.usage) usage = chunk.usage;
      if (chunk.sources) sources = chunk.sources;
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) finish = choice.finish_reason;
      const piece = choice?.delta?.content;
      if (!piece) continue;
      firstAt ||= performance.now();
      lastAt = performance.now();
      pieces++;
      reply.article.classList.remove("pending");
      reply.markdown.append(piece);
      // At most one render per frame however fast the tokens come.
      if (!painting) { painting = true; requestAnimationFrame(paint); }
    }
  } catch (e) {
    if (e.name === "AbortError") finish = "stopped";
    else failure = e;
  }
  controller = null;
  setBusy(false);
  const text = reply.markdown.text;
  // A finished stream (it carries usage) is an answer even when empty: the model may end its turn at once.
  if (text || usage) {
    const stats = answerStats({ usage, pieces, finish: failure ? "error" : finish, firstAt, lastAt, context: server.context });
    asked.messages.push({ role: "assistant", content: text, stats, ...(sources ? { sources } : {}) });
    if (stats.finish === "context") notify("The context is full: the answer was cut. Start a new conversation to continue.");
  }
  // A conversation deleted while it was answered stays deleted.
  if (store.get(asked.id)) persist(asked);
  refresh();
  if (failure && asked === conversation) {
    transcript.showError(failure.message, regenerate);
    if (failure.status === 401) await askForKey(failure.message);
  }
}

/** A message as the API takes it: a user message's images (data: URLs) as image_url parts before its text. */
function toWire(message) {
  if (!message.images?.length) return { role: message.role, content: message.content };
  return {
    role: message.role,
    content: [...message.images.map(url => ({ type: "image_url", image_url: { url } })), { type: "text", text: message.content }],
  };
}

function send() {
  const text = $("input").value.trim();
  const images = attachments.take();
  if ((!text && !images.length) || controller) return;
  $("input").value = "";
  store.currentId = conversation.id;
  conversation.messages.push({ role: "user", content: text, ...(images.length ? { images } : {}) });
  answer();
}

/** Asks for the key in the page's own dialog (never window.prompt) and keeps it in this browser. */
function askForKey(reason) {
  $("key-reason").textContent = reason;
  $("key-input").value = apiKey.get();
  $("key-dialog").showModal();
  return new Promise(resolve => $("key-dialog").addEventListener("close", () => {
    if ($("key-dialog").returnValue === "save") apiKey.set($("key-input").value.trim());
    resolve();
  }, { once: true }));
}

/** Learns the model, its context and whether there are documents; asks for the API key until the server accepts it. */
async function connect() {
  for (;;) {
    try {
      const models = await getJson("/v1/models");
      const health = await getJson("/health");
      server.model = health.model ?? models.data?.[0]?.id ?? "";
      server.context = health.slots?.context ?? 0;
      server.rag = health.rag === true;
      break;
    } catch (e) {
      if (e.status !== 401) return notify(e.message);
      await askForKey(e.message);
    }
  }
  $("model-name").textContent = server.model;
  $("context-size").textContent = server.context ? `${server.context}-token context` : "";
  $("rag-toggle").hidden = !server.rag;
  document.body.dataset.connected = "true";
  refresh();
}

$("composer").addEventListener("submit", e => { e.preventDefault(); send(); });
$("input").addEventListener("keydown", e => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
});
// Esc stops the answer in progress, else closes the conversation list where it covers the chat (narrow screens).
document.addEventListener("keydown", e => {
  if (e.key !== "Escape") return;
  if (controller) controller.abort();
  else document.body.classList.remove("sidebar-open");
});
$("chat").addEventListener("click", e => {
  if (!e.target.closest("#toggle-sidebar")) document.body.classList.remove("sidebar-open");
});
$("attach").addEventListener("click", () => $("image-file").click());
$("image-file").addEventListener("change", () => {
  attachments.add([...$("image-file").files]);
  $("image-file").value = "";
});
$("input").addEventListener("paste", e => {
  // Pasted files are attachments (a file that is no image is named in the notice); pasted text goes in as text.
  const files = [...(e.clipboardData?.files ?? [])];
  if (files.length) { e.preventDefault(); attachments.add(files); }
});
$("stop").addEventListener("click", () => controller?.abort());
$("new-chat").addEventListener("click", () => open(newConversation()));
$("toggle-sidebar").addEventListener("click", () => document.body.classList.toggle("sidebar-open"));
$("toggle-settings").addEventListener("click", () => { $("settings").hidden = !$("settings").hidden; });
$("export").addEventListener("click", () => {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([store.exportJson()], { type: "application/json" }));
  link.download = "phisharp-conversations.json";
  link.click();
  // Released once the download has surely started; revoked at once, Chromium may not have read it yet.
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
});
$("import").addEventListener("click", () => $("import-file").click());
$("import-file").addEventListener("change", async () => {
  const file = $("import-file").files[0];
  $("import-file").value = "";
  if (!file) return;
  try {
    const count = store.importJson(await file.text());
    notify(`Imported ${count} conversation${count === 1 ? "" : "s"}.`);
    refresh();
  } catch (e) {
    notify(`${file.name}: ${e.message}`);
  }
});

refresh();
connect();
