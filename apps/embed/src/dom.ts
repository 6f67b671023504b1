type Attributes = Record<string, string | null | undefined | false>;

/**
 * Creates an element with attributes and children. Attributes whose value is not a string are left out.
 * Styles are set one property at a time, because a Content-Security-Policy that forbids inline styles blocks the
 * style attribute and `style.cssText` but not single CSSOM properties, and the honeypot must stay hidden there too.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const name in attributes) {
    const value = attributes[name];
    if (typeof value != "string") continue;
    if (name != "style") {
      element.setAttribute(name, value);
    } else {
      for (const declaration of value.split(";")) {
        element.style.setProperty(...(declaration.split(":") as [string, string]));
      }
    }
  }
  element.append(...children);
  return element;
}

let lastId = 0;

/** Returns an element id that no other element created by the snippet on this page has. */
export function uniqueId(): string {
  return `pl-${++lastId}`;
}
