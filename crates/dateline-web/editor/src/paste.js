// What arrives on the clipboard from Google Docs, Word and web pages, reduced to the structure a
// story needs: headings, paragraphs, lists, quotes, links, bold and italic. Inline styles, classes,
// spans, fonts and tracking links never reach the text.

// Query parameters that only tell someone else where a click came from.
const TRACKING = /^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|igshid|yclid|ref_src|ref_url|s_cid|ncid|cmpid|oly_anon_id|oly_enc_id|vero_id|mkt_tok)$/i;

// Hosts whose /url?q=… (or ?url=…) pages only redirect to the real address.
const REDIRECTORS = /^(www\.)?google\.[a-z.]+$|^l\.facebook\.com$|^lm\.facebook\.com$|^l\.instagram\.com$|^out\.reddit\.com$|^t\.umblr\.com$/i;

/**
 * The address a pasted link really points to: a redirect wrapper's target, without tracking
 * parameters. Only http(s) and mailto links are kept (the server's sanitiser keeps no others).
 */
export function cleanLink(href) {
  let url;
  try {
    url = new URL(href, "https://invalid.example/");
  } catch {
    return null;
  }
  if (url.host === "invalid.example") {
    // A relative link from a web page: meaningless in our story unless it is a fragment.
    return /^#/.test(href) ? href : null;
  }
  for (let hops = 0; hops < 3 && REDIRECTORS.test(url.hostname); hops++) {
    const target = url.searchParams.get("q") || url.searchParams.get("url") || url.searchParams.get("u");
    if (!target || !/^(https?:|mailto:)/i.test(target)) break;
    try {
      url = new URL(target);
    } catch {
      break;
    }
  }
  if (url.protocol === "mailto:") return url.href;
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  for (const key of [...url.searchParams.keys()]) {
    if (TRACKING.test(key)) url.searchParams.delete(key);
  }
  let clean = url.href;
  if (!url.search && clean.includes("?")) clean = clean.replace("?", "");
  return clean;
}

const KEEP = new Set(["P", "H1", "H2", "H3", "H4", "H5", "H6", "UL", "OL", "LI", "BLOCKQUOTE", "A", "STRONG", "EM",
  "B", "I", "S", "DEL", "CODE", "PRE", "BR", "HR", "IMG", "FIGURE", "FIGCAPTION", "TABLE", "THEAD", "TBODY", "TR",
  "TD", "TH", "SUB", "SUP"]);
const DROP = new Set(["STYLE", "SCRIPT", "META", "LINK", "TITLE", "HEAD", "NOSCRIPT", "TEMPLATE", "IFRAME", "OBJECT",
  "svg", "SVG", "BUTTON", "INPUT", "SELECT", "TEXTAREA", "FORM", "NAV", "ASIDE", "FOOTER"]);

// Declarations are read from the style attribute's text, renamed before parsing: under the
// newsroom's CSP (no inline styles) the browser refuses to apply a pasted style attribute, and
// says so on the console for each one.
const STYLE = "data-pasted-style";

function declared(node, property) {
  const text = node.getAttribute(STYLE) || "";
  const match = new RegExp(`(?:^|;)\\s*${property}\\s*:\\s*([^;]+)`, "i").exec(text);
  return match ? match[1].trim().toLowerCase() : "";
}

function isBold(node) {
  const weight = declared(node, "font-weight");
  return weight === "bold" || weight === "bolder" || (+weight >= 600);
}

function isItalic(node) {
  const style = declared(node, "font-style");
  return style === "italic" || style === "oblique";
}

/** Word marks list paragraphs with `mso-list`; they become real lists. */
function wordLists(root) {
  const paragraphs = [...root.querySelectorAll("p")].filter((p) => /mso-list/i.test(p.getAttribute(STYLE) || "")
    || /MsoListParagraph/i.test(p.className));
  let list = null;
  for (const p of paragraphs) {
    // The bullet or number Word draws itself, inside a span marked mso-list:Ignore.
    const marker = p.querySelector(`span[${STYLE}*="mso-list"]`);
    const markerText = marker ? marker.textContent.trim() : "";
    if (marker) marker.remove();
    const kind = /^[0-9a-zA-Z]{1,4}[.)]$/.test(markerText) ? "OL" : "UL";
    if (!list || p.previousElementSibling !== list || list.tagName !== kind) {
      list = root.ownerDocument.createElement(kind.toLowerCase());
      p.before(list);
    }
    const item = root.ownerDocument.createElement("li");
    item.append(...p.childNodes);
    list.append(item);
    p.remove();
  }
}

const BLOCKS = /^(P|H[1-6]|UL|OL|LI|BLOCKQUOTE|TABLE|THEAD|TBODY|TR|TD|TH|PRE|FIGURE|DIV|SECTION|ARTICLE|HEADER|MAIN)$/;

/** A cleaned copy of `node`: the nodes to put in its place (none, itself, or its children). */
function cleanNode(node, doc) {
  if (node.nodeType === 3) return [doc.createTextNode(node.data)];
  if (node.nodeType !== 1) return []; // comments, Word's conditional comments
  const tag = node.tagName.toUpperCase();
  if (DROP.has(tag)) return [];
  const children = [...node.childNodes].flatMap((child) => cleanNode(child, doc));
  // Word's <o:p> and friends, and Google Docs' <b id="docs-internal-guid-…"
  // style="font-weight:normal"> around the whole paste, only wrap.
  if (tag.includes(":") || (tag === "B" && declared(node, "font-weight") === "normal")) return children;
  if (tag === "IMG") {
    // A picture must come from the library (alt text, credit, provenance): pasted files are
    // uploaded there; pasted <img> elements from elsewhere are dropped.
    return [];
  }
  let kept;
  if (KEEP.has(tag)) {
    kept = doc.createElement(tag === "B" ? "strong" : tag === "I" ? "em" : tag.toLowerCase());
    if (tag === "A") {
      const href = cleanLink(node.getAttribute("href") || "");
      if (!href) return children;
      kept.setAttribute("href", href);
    }
    if (tag === "OL" && node.hasAttribute("start")) kept.setAttribute("start", node.getAttribute("start"));
    kept.append(...children);
  } else if (/^(DIV|SECTION|ARTICLE|HEADER|MAIN)$/.test(tag)
      && !children.some((c) => c.nodeType === 1 && BLOCKS.test(c.tagName))
      && children.some((c) => c.textContent.trim())) {
    kept = doc.createElement("p");
    kept.append(...children);
  } else {
    kept = null;
  }
  // Formatting that lives in a style attribute (Google Docs, Word) becomes strong and em.
  const inline = !BLOCKS.test(tag);
  const bold = inline && !/^(STRONG|B)$/.test(tag) && isBold(node);
  const italic = inline && !/^(EM|I)$/.test(tag) && isItalic(node);
  let result = kept ? [kept] : children;
  if (italic) {
    const em = doc.createElement("em");
    em.append(...result);
    result = [em];
  }
  if (bold) {
    const strong = doc.createElement("strong");
    strong.append(...result);
    result = [strong];
  }
  return result;
}

/** Google Docs puts a paragraph inside each list item and <br> between paragraphs. */
function tidy(root) {
  for (const br of [...root.querySelectorAll("br")]) {
    const parent = br.parentElement;
    if (parent === root || (parent && /^(UL|OL|BLOCKQUOTE)$/.test(parent.tagName))) br.remove();
  }
  for (const p of [...root.querySelectorAll("p, h1, h2, h3, h4, h5, h6, li")]) {
    if (!p.textContent.trim() && !p.querySelector("img")) p.remove();
  }
}

/** The clipboard's HTML, cleaned: what ProseMirror then reads with the schema's rules. */
export function cleanPastedHtml(html) {
  const renamed = html
    .replace(/<style[\s\S]*?<\/style\s*>/gi, "")
    .replace(/<[^>]+>/g, (tag) => tag.replace(/(\s)style(\s*=)/gi, `$1${STYLE}$2`));
  const doc = new DOMParser().parseFromString(renamed, "text/html");
  const body = doc.body;
  wordLists(body);
  const cleaned = doc.createElement("div");
  cleaned.append(...[...body.childNodes].flatMap((child) => cleanNode(child, doc)));
  tidy(cleaned);
  return cleaned.innerHTML;
}
