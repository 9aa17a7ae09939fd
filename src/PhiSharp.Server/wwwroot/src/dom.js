// Small DOM helpers shared by the page's parts.

export function button(className, text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

/** Copies text; pages served over plain HTTP to another machine have no navigator.clipboard, so falls back to a selection. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement("textarea");
  area.value = text;
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

/** A button that copies, and says so for a moment. */
export function copyButton(className, text) {
  const b = button(className, "Copy", async () => {
    await copyText(text());
    b.textContent = "Copied";
    setTimeout(() => { b.textContent = "Copy"; }, 1500);
  });
  return b;
}
