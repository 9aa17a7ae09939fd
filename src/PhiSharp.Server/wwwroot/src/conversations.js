// Conversations live in this browser's localStorage, so a reload or a restarted server loses nothing. A conversation:
// { id, title, updated, messages: [{ role: "user" | "assistant", content, images?, stats?, sources?, error? }] }, where
// images are a user message's attached images as data: URLs.
const storeName = "phisharp.conversations";
const currentName = "phisharp.currentConversation";

export function newConversation() {
  return { id: crypto.randomUUID(), title: "", updated: Date.now(), messages: [] };
}

/** A conversation's name in the list: its own title, else the start of its first message. */
export function titleOf(conversation) {
  if (conversation.title) return conversation.title;
  const first = conversation.messages.find(m => m.role === "user")?.content.trim();
  return first ? first.slice(0, 60) : "New conversation";
}

export class ConversationStore {
  #all;

  constructor() {
    try {
      const stored = JSON.parse(localStorage.getItem(storeName) ?? "[]");
      this.#all = Array.isArray(stored) ? stored.filter(isConversation) : [];
    } catch {
      this.#all = []; // unreadable storage starts empty rather than breaking the page
    }
  }

  /** Most recently used first. */
  list() { return [...this.#all].sort((a, b) => b.updated - a.updated); }

  get(id) { return this.#all.find(c => c.id === id) ?? null; }

  get currentId() { return localStorage.getItem(currentName); }
  set currentId(id) { localStorage.setItem(currentName, id); }

  /** Stores the conversation (new or changed); throws when the browser's storage is full. */
  save(conversation) {
    conversation.updated = Date.now();
    if (!this.#all.includes(conversation)) this.#all.push(conversation);
    this.#persist();
  }

  remove(id) {
    this.#all = this.#all.filter(c => c.id !== id);
    this.#persist();
  }

  exportJson() {
    return JSON.stringify({ format: "phisharp-conversations", version: 1, conversations: this.list() }, null, 2);
  }

  /** Adds the conversations of an exported file (as new copies); returns how many, or throws saying what is wrong. */
  importJson(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      throw new Error("This file is not JSON.");
    }
    if (data?.format !== "phisharp-conversations" || !Array.isArray(data.conversations))
      throw new Error("This file is not a PhiSharp conversation export (no \"format\": \"phisharp-conversations\").");
    const bad = data.conversations.findIndex(c => !isConversation(c));
    if (bad >= 0) throw new Error(`Conversation ${bad + 1} in this file is malformed: each needs an id, a title and messages with a role and text content.`);
    for (const c of data.conversations) this.#all.push({ ...c, id: crypto.randomUUID() });
    this.#persist();
    return data.conversations.length;
  }

  #persist() {
    try {
      localStorage.setItem(storeName, JSON.stringify(this.#all));
    } catch {
      throw new Error("The browser's storage for this page is full: export and delete some conversations.");
    }
  }
}

function isConversation(c) {
  return c !== null && typeof c === "object" && typeof c.id === "string" && typeof c.title === "string"
    && typeof c.updated === "number" && Array.isArray(c.messages)
    && c.messages.every(m => m !== null && (m.role === "user" || m.role === "assistant") && typeof m.content === "string"
      && (m.images === undefined || (Array.isArray(m.images) && m.images.every(isImageUrl))));
}

/** An attached image as stored: only a data: URL of an image, so an imported file cannot make the page load anything. */
function isImageUrl(url) {
  return typeof url === "string" && /^data:image\/(png|jpeg|webp|gif|bmp);base64,/.test(url);
}
