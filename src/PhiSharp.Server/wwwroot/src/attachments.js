// The images attached to the message being written: read as data: URLs (what the API takes in an image_url part and
// what the conversation stores), shown as thumbnails above the input, each with a button that removes it.
import { button } from "./dom.js";

const types = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"];
// The server's default limit on one image's bytes (docs/SERVER.md); a larger one is refused here, before sending.
const maxBytes = 20 * 1024 * 1024;

export class Attachments {
  #container;
  #notify;
  #urls = [];

  /** @param notify shows a sentence to the user (a file that is not an image, or too large). */
  constructor(container, notify) {
    this.#container = container;
    this.#notify = notify;
  }

  async add(files) {
    for (const file of files) {
      if (!types.includes(file.type)) { this.#notify(`${file.name || "The pasted file"} is not a PNG, JPEG, WebP, GIF or BMP image.`); continue; }
      if (file.size > maxBytes) { this.#notify(`${file.name || "The pasted image"} is larger than the server's 20 MiB image limit.`); continue; }
      this.#urls.push(await dataUrl(file));
    }
    this.#show();
  }

  /** The attached images, which now belong to the message being sent. */
  take() {
    const urls = this.#urls;
    this.#urls = [];
    this.#show();
    return urls;
  }

  #show() {
    this.#container.hidden = this.#urls.length === 0;
    this.#container.replaceChildren(...this.#urls.map((url, i) => {
      const item = document.createElement("span");
      item.className = "attachment";
      const img = document.createElement("img");
      img.src = url;
      img.alt = `image ${i + 1}`;
      item.append(img, button("remove-image", "×", () => { this.#urls.splice(i, 1); this.#show(); }));
      return item;
    }));
  }
}

function dataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
