// The messages of the open conversation. The user's own text is shown as text; the model's as sanitized markdown
// (markdown.js). Each message has a copy button, user messages can be edited and resent, the last answer regenerated.
import { renderMarkdown, StreamingMarkdown } from "./markdown.js";
import { button, copyButton } from "./dom.js";

export class Transcript {
  #container;
  #actions;

  /** @param actions { edit(index, text), regenerate() } */
  constructor(container, actions) {
    this.#container = container;
    this.#actions = actions;
  }

  show(conversation, busy) {
    const last = conversation.messages.length - 1;
    this.#container.replaceChildren(...conversation.messages.map((m, i) => this.#message(m, i, i === last && !busy)));
    this.scrollToEnd();
  }

  scrollToEnd() {
    this.#container.scrollTop = this.#container.scrollHeight;
  }

  /** An empty answer to stream into; the caller renders it as it grows. */
  beginReply() {
    const article = element("article", "msg assistant pending");
    const body = element("div", "body");
    article.append(body);
    this.#container.append(article);
    this.scrollToEnd();
    return { article, markdown: new StreamingMarkdown(body) };
  }

  /** A failure that is not part of the conversation (not sent back to the model), with a way to try again. */
  showError(message, retry) {
    const article = element("article", "msg error");
    article.setAttribute("role", "alert");
    const body = element("div", "body");
    body.textContent = message;
    article.append(body, footer(null, [button("retry", "Retry", retry)]));
    this.#container.append(article);
    this.scrollToEnd();
  }

  #message(message, index, isLast) {
    const article = element("article", "msg " + message.role);
    const body = element("div", "body");
    article.append(body);
    const actions = [copyButton("copy", () => message.content)];
    if (message.role === "user") {
      body.textContent = message.content;
      if (message.images?.length) body.prepend(imageList(message.images));
      actions.push(button("edit", "Edit", () => this.#edit(article, body, message, index)));
      if (isLast) actions.push(button("regenerate", "Retry", () => this.#actions.regenerate()));
    } else {
      renderMarkdown(body, message.content);
      addCodeCopyButtons(body);
      if (message.sources?.length) article.append(sourceList(message.sources));
      if (isLast) actions.push(button("regenerate", "Regenerate", () => this.#actions.regenerate()));
    }
    article.append(footer(message.stats ? statsText(message.stats) : null, actions));
    return article;
  }

  #edit(article, body, message, index) {
    const area = element("textarea", "edit-input");
    area.value = message.content;
    area.setAttribute("aria-label", "Edit message");
    const cancel = () => { area.replaceWith(body); controls.remove(); };
    const send = () => { const text = area.value.trim(); if (text) this.#actions.edit(index, text); };
    const controls = element("div", "edit-controls");
    controls.append(button("edit-send", "Send", send), button("edit-cancel", "Cancel", cancel));
    area.addEventListener("keydown", e => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); cancel(); }
    });
    body.replaceWith(area);
    area.after(controls);
    area.focus();
  }
}

/** One line under an answer: tokens, speed, the prompt's size, and why it ended when that was not the model's choice. */
export function statsText(stats) {
  const parts = [];
  if (stats.completion_tokens !== undefined) parts.push(`${stats.completion_tokens} tokens`);
  if (stats.tokens_per_second) parts.push(`${stats.tokens_per_second.toFixed(1)} tokens/s`);
  if (stats.prompt_tokens !== undefined) parts.push(`prompt ${stats.prompt_tokens} tokens`);
  const ending = { stopped: "stopped", length: "cut at the token limit", context: "the context is full", error: "interrupted" }[stats.finish];
  if (ending) parts.push(ending);
  return parts.join(" · ");
}

/** Copy buttons on the code blocks of a rendered answer (added as elements, after sanitizing, never as HTML). */
export function addCodeCopyButtons(body) {
  for (const pre of body.querySelectorAll("pre")) pre.prepend(copyButton("copy-code", () => pre.querySelector("code")?.textContent ?? ""));
}

// The sources of a grounded answer, as text: their paths and headings come from the user's files.
function sourceList(sources) {
  const list = element("ol", "sources");
  for (const source of sources) {
    const item = element("li", source.cited ? "cited" : "");
    item.value = source.number;
    item.textContent = source.path + (source.heading ? "#" + source.heading : "") + (source.cited ? " (cited)" : "");
    list.append(item);
  }
  return list;
}

/** The images a user attached, as thumbnails (data: URLs the user chose; never from the model). */
export function imageList(urls) {
  const list = element("div", "images");
  for (const url of urls) {
    const img = element("img", "attached-image");
    img.src = url;
    img.alt = "attached image";
    list.append(img);
  }
  return list;
}

function footer(stats, actions) {
  const f = element("footer", "msg-footer");
  if (stats) {
    const s = element("span", "stats");
    s.textContent = stats;
    f.append(s);
  }
  const a = element("span", "actions");
  a.append(...actions);
  f.append(a);
  return f;
}

function element(tag, className) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}
