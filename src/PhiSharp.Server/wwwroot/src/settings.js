// Generation settings, remembered per browser. Each form field's id is its name here; empty means the server's default.
const storeName = "phisharp.settings";
const fields = ["system", "temperature", "top_p", "max_tokens", "seed", "stop"];

export class Settings {
  #form;

  constructor(form) {
    this.#form = form;
    let stored = {};
    try { stored = JSON.parse(localStorage.getItem(storeName) ?? "{}") ?? {}; } catch { /* unreadable: defaults */ }
    for (const name of fields) if (typeof stored[name] === "string") this.#field(name).value = stored[name];
    form.addEventListener("input", () => this.#save());
  }

  #field(name) { return this.#form.elements.namedItem(name); }

  #save() {
    localStorage.setItem(storeName, JSON.stringify(Object.fromEntries(fields.map(name => [name, this.#field(name).value]))));
  }

  get systemPrompt() { return this.#field("system").value.trim(); }

  /** The sampling fields of a chat request; the server checks their ranges and names any it refuses. */
  requestFields() {
    const number = name => this.#field(name).value.trim() === "" ? undefined : Number(this.#field(name).value);
    const stop = this.#field("stop").value.split("\n").filter(s => s.length > 0);
    return {
      temperature: number("temperature"),
      top_p: number("top_p"),
      max_tokens: number("max_tokens"),
      seed: number("seed"),
      stop: stop.length ? stop : undefined,
    };
  }
}
