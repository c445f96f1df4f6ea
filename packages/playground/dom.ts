// Building the page's panels: one helper, so the inspector and the diff view make their
// elements the same way (text as textContent, never HTML: record labels come from programs).

/** Appends a `tag` element with `text` and `attrs` to `parent` and returns it. */
export function item<K extends keyof HTMLElementTagNameMap>(
  parent: Element,
  tag: K,
  text: string,
  attrs: Record<string, string | number> = {},
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}
