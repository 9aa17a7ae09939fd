// Model output is untrusted: it is rendered as markdown whose raw HTML is shown as text, images become plain links
// (a remote image would be a request the reply makes on its own), and DOMPurify cleans the result, so no markup,
// script or javascript: URL from a reply ever runs. Code blocks are highlighted with highlight.js.
import { Marked } from "marked";
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

for (const [name, language] of Object.entries({ bash, c, cpp, csharp, css, go, java, javascript, json, python, rust, sql, typescript, xml, yaml }))
  hljs.registerLanguage(name, language);

export function escapeHtml(text) {
  return text.replace(/[&<>"']/g, ch => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
}

const marked = new Marked({
  gfm: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) => `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
    code({ text, lang }) {
      const language = (lang || "").match(/^\S*/)[0].toLowerCase();
      const highlighted = language && hljs.getLanguage(language)
        ? hljs.highlight(text, { language, ignoreIllegals: true }).value
        : escapeHtml(text);
      return `<pre><code class="hljs${language ? " language-" + escapeHtml(language) : ""}">${highlighted}</code></pre>`;
    },
  },
});

// Every link opens in a new tab that cannot reach back to this page or learn where it came from.
DOMPurify.addHook("afterSanitizeAttributes", node => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});
const purifyOptions = { USE_PROFILES: { html: true }, FORBID_TAGS: ["img", "style", "form", "input", "button", "textarea", "select"] };

function toHtml(tokens) {
  return DOMPurify.sanitize(marked.parser(tokens), purifyOptions);
}

/** The whole text rendered at once: finished messages. */
export function renderMarkdown(element, text) {
  element.innerHTML = toHtml(marked.lexer(text));
}

/**
 * Renders a reply while it streams without re-rendering what is already on screen: blocks that later text can no
 * longer change are rendered once and kept; only the open tail is re-rendered. So a long answer costs the size of its
 * last blocks per update, not its whole length (no quadratic work). The finished answer is rendered whole once more
 * (renderMarkdown), so link references defined late in it resolve everywhere.
 */
export class StreamingMarkdown {
  #tail = document.createElement("div");
  #text = "";
  #settled = 0; // characters of #text already rendered into kept blocks

  constructor(element) {
    this.#tail.className = "md-part";
    element.replaceChildren(this.#tail);
  }

  get text() { return this.#text; }

  append(piece) {
    // Carriage returns are dropped so that offsets in the text and in marked's tokens agree (marked drops them too).
    this.#text += piece.replace(/\r/g, "");
  }

  render() {
    const open = this.#text.slice(this.#settled);
    const tokens = marked.lexer(open);
    // The last block can still grow or change kind, and a list or code block can continue past the blank line before
    // the last one, so the last two blocks stay open.
    let keep = tokens.length, blocks = 0;
    while (keep > 0 && blocks < 2) if (tokens[--keep].type !== "space") blocks++;
    const done = tokens.slice(0, keep);
    const raw = done.map(t => t.raw).join("");
    if (done.length && open.startsWith(raw)) {
      const part = document.createElement("div");
      part.className = "md-part";
      part.innerHTML = toHtml(Object.assign(done, { links: tokens.links }));
      this.#tail.before(part);
      this.#settled += raw.length;
      this.#tail.innerHTML = toHtml(Object.assign(tokens.slice(keep), { links: tokens.links }));
    } else {
      this.#tail.innerHTML = toHtml(tokens);
    }
  }
}
