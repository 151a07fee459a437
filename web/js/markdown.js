// The chat's markdown-lite (§10): **bold**, *italic*, `code` and ```code blocks```.
// The result is built from DOM nodes whose text is set with text nodes only: a message such
// as "<img src=x onerror=alert(1)>" stays the literal text it is.

const FENCE = "```";

// `code` | **bold** | *italic*. Bold and italic need a non-space right inside the markers,
// so "2 * 3 * 4" stays as it is.
const INLINE = /`([^`\n]+)`|\*\*(\S(?:[\s\S]*?\S)?)\*\*|\*(\S(?:[^*]*?\S)?)\*/g;

/** A DocumentFragment with the message's formatting. */
export function renderMarkdownLite(text) {
  const fragment = document.createDocumentFragment();
  const source = String(text ?? "");
  let rest = source;
  while (rest.length) {
    const open = rest.indexOf(FENCE);
    const close = open === -1 ? -1 : rest.indexOf(FENCE, open + FENCE.length);
    if (open === -1 || close === -1) {
      inline(rest, fragment);
      break;
    }
    if (open > 0) inline(rest.slice(0, open), fragment);
    fragment.append(codeBlock(rest.slice(open + FENCE.length, close)));
    rest = rest.slice(close + FENCE.length).replace(/^\n/, "");
  }
  return fragment;
}

function codeBlock(body) {
  // ```js\ncode``` : a first line that is one word followed by more lines names a language.
  let code = body;
  const language = /^([\w+#.-]{1,20})\n/.exec(code);
  if (language) code = code.slice(language[0].length);
  code = code.replace(/^\n/, "").replace(/\n$/, "");
  const pre = document.createElement("pre");
  const el = document.createElement("code");
  if (language) el.dataset.language = language[1];
  el.textContent = code;
  pre.append(el);
  return pre;
}

function inline(text, parent) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) parent.append(document.createTextNode(text.slice(last, match.index)));
    const [, code, bold, italic] = match;
    if (code !== undefined) {
      const el = document.createElement("code");
      el.textContent = code;
      parent.append(el);
    } else if (bold !== undefined) {
      const el = document.createElement("strong");
      inline(bold, el);
      parent.append(el);
    } else {
      const el = document.createElement("em");
      inline(italic, el);
      parent.append(el);
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

/** The message as plain text without markers, for a reply preview. */
export function plainText(text) {
  return String(text ?? "")
    .replace(/```(?:[\w+#.-]{1,20}\n)?/g, "")
    .replace(/\*\*(\S(?:[\s\S]*?\S)?)\*\*/g, "$1")
    .replace(/\*(\S(?:[^*]*?\S)?)\*/g, "$1")
    .replace(/`([^`\n]+)`/g, "$1");
}
