// The list of saved conversations: pick one, rename it in place, delete it (a second click confirms, so no browser
// dialog is needed).
import { titleOf } from "./conversations.js";
import { button } from "./dom.js";

export class Sidebar {
  #list;
  #actions;

  /** @param actions { select(id), rename(id, title), remove(id) } */
  constructor(list, actions) {
    this.#list = list;
    this.#actions = actions;
  }

  show(conversations, currentId) {
    this.#list.replaceChildren(...conversations.map(c => this.#item(c, c.id === currentId)));
  }

  #item(conversation, current) {
    const item = document.createElement("li");
    item.className = "conversation" + (current ? " current" : "");
    const open = button("conversation-title", titleOf(conversation), () => this.#actions.select(conversation.id));
    if (current) open.setAttribute("aria-current", "true");
    const rename = button("rename", "✎", () => this.#rename(item, conversation));
    rename.title = "Rename";
    const remove = button("delete", "✕", () => {
      if (remove.dataset.confirm) return this.#actions.remove(conversation.id);
      remove.dataset.confirm = "yes";
      remove.textContent = "Delete?";
    });
    remove.title = "Delete";
    item.append(open, rename, remove);
    return item;
  }

  #rename(item, conversation) {
    const input = document.createElement("input");
    input.className = "rename-input";
    input.value = titleOf(conversation);
    input.setAttribute("aria-label", "Conversation name");
    let done = false;
    const finish = save => {
      if (done) return;
      done = true;
      if (save) this.#actions.rename(conversation.id, input.value.trim());
      else this.#actions.rename(conversation.id, conversation.title);
    };
    input.addEventListener("keydown", e => {
      if (e.key === "Enter") { e.preventDefault(); finish(true); }
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); finish(false); }
    });
    input.addEventListener("blur", () => finish(true));
    item.replaceChildren(input);
    input.focus();
    input.select();
  }
}
