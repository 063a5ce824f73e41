// The stored Markdown, read into a ProseMirror document and written back without loss.
//
// The dialect is the server's (pulldown-cmark with tables, footnotes and strikethrough; raw HTML
// allowed and sanitised on output), parsed here by markdown-it configured the same way. Every
// choice the writer made that Markdown offers twice (`*` or `_`, `-` or `*` bullets, `1.` or `1)`,
// ``` or ~~~ fences, a backslash or two spaces for a line break) is kept on the node, so an
// untouched story comes back byte for byte. What the rich view cannot show as structure (tables,
// footnote definitions, link reference definitions, raw HTML) is kept verbatim as a "kept
// Markdown" block and written back exactly as it came.

import MarkdownIt from "markdown-it";
import { Fragment, Schema } from "prosemirror-model";
import { MarkdownParser, MarkdownSerializer, MarkdownSerializerState } from "prosemirror-markdown";

// A figure as the editor writes it for a picture from the library (the server's sanitiser keeps
// figure, figcaption and img with src, alt, width and height). Only this exact shape becomes a
// figure node; any other HTML stays kept Markdown.
const FIGURE = /^<figure><img src="([^"<>]*)" alt="([^"<>]*)" width="(\d+)" height="(\d+)">(?:<figcaption>(.*?)(?:<small>(.*?)<\/small>)?<\/figcaption>)?<\/figure>\n?$/s;

export const schema = new Schema({
  nodes: {
    doc: { content: "block+" },
    paragraph: {
      content: "inline*",
      group: "block",
      parseDOM: [{ tag: "p" }],
      toDOM() { return ["p", 0]; },
    },
    blockquote: {
      content: "block+",
      group: "block",
      defining: true,
      parseDOM: [{ tag: "blockquote" }],
      toDOM() { return ["blockquote", 0]; },
    },
    heading: {
      attrs: { level: { default: 2 }, setext: { default: "" } },
      content: "inline*",
      group: "block",
      defining: true,
      // Article headings are h2–h4 (the headline is the page's h1); a pasted h1 becomes an h2.
      parseDOM: [
        { tag: "h1", attrs: { level: 2 } },
        { tag: "h2", attrs: { level: 2 } },
        { tag: "h3", attrs: { level: 3 } },
        { tag: "h4", attrs: { level: 4 } },
        { tag: "h5", attrs: { level: 4 } },
        { tag: "h6", attrs: { level: 4 } },
      ],
      toDOM(node) { return ["h" + node.attrs.level, 0]; },
    },
    code_block: {
      attrs: { params: { default: "" }, fence: { default: "```" } },
      content: "text*",
      marks: "",
      group: "block",
      code: true,
      defining: true,
      parseDOM: [{ tag: "pre", preserveWhitespace: "full" }],
      toDOM() { return ["pre", ["code", 0]]; },
    },
    horizontal_rule: {
      attrs: { markup: { default: "---" } },
      group: "block",
      parseDOM: [{ tag: "hr" }],
      toDOM() { return ["hr"]; },
    },
    bullet_list: {
      attrs: { tight: { default: true }, bullet: { default: "-" } },
      content: "list_item+",
      group: "block",
      parseDOM: [{ tag: "ul" }],
      toDOM() { return ["ul", 0]; },
    },
    ordered_list: {
      attrs: { order: { default: 1 }, tight: { default: true }, delimiter: { default: "." } },
      content: "list_item+",
      group: "block",
      parseDOM: [{
        tag: "ol",
        getAttrs(dom) { return { order: dom.hasAttribute("start") ? +dom.getAttribute("start") || 1 : 1 }; },
      }],
      toDOM(node) { return ["ol", node.attrs.order === 1 ? {} : { start: node.attrs.order }, 0]; },
    },
    list_item: {
      content: "paragraph block*",
      defining: true,
      parseDOM: [{ tag: "li" }],
      toDOM() { return ["li", 0]; },
    },
    // Markdown the rich view keeps as written: shown as its source, edited in the source view.
    kept_markdown: {
      attrs: { source: {}, kind: { default: "Markdown" } },
      group: "block",
      atom: true,
      selectable: true,
      toDOM(node) {
        return ["div", { class: "editor-kept", "data-kind": node.attrs.kind },
          ["pre", node.attrs.source]];
      },
    },
    figure: {
      attrs: {
        src: {}, alt: { default: "" }, width: {}, height: {},
        caption: { default: "" }, credit: { default: "" },
      },
      group: "block",
      atom: true,
      selectable: true,
      draggable: true,
      toDOM(node) {
        const a = node.attrs;
        const caption = [];
        if (a.caption) caption.push(a.caption);
        if (a.credit) caption.push(["small", a.credit]);
        return ["figure", { class: "editor-figure" },
          ["img", { src: a.src, alt: a.alt, width: a.width, height: a.height }],
          ...(caption.length ? [["figcaption", ...caption.flatMap((c, i) => (i ? [" ", c] : [c]))]] : [])];
      },
    },
    text: { group: "inline" },
    image: {
      inline: true,
      attrs: { src: {}, alt: { default: "" }, title: { default: null } },
      group: "inline",
      draggable: true,
      parseDOM: [{
        tag: "img[src]",
        getAttrs(dom) {
          return { src: dom.getAttribute("src"), alt: dom.getAttribute("alt") || "", title: dom.getAttribute("title") };
        },
      }],
      toDOM(node) { return ["img", { src: node.attrs.src, alt: node.attrs.alt, title: node.attrs.title }]; },
    },
    hard_break: {
      attrs: { markup: { default: "\\" } },
      inline: true,
      group: "inline",
      selectable: false,
      parseDOM: [{ tag: "br" }],
      toDOM() { return ["br"]; },
    },
    // Inline HTML and footnote references, kept as written.
    kept_inline: {
      attrs: { source: {} },
      inline: true,
      group: "inline",
      atom: true,
      toDOM(node) { return ["code", { class: "editor-kept-inline" }, node.attrs.source]; },
    },
  },
  marks: {
    em: {
      attrs: { markup: { default: "*" } },
      parseDOM: [
        { tag: "i" }, { tag: "em" },
        { style: "font-style=italic" },
      ],
      toDOM() { return ["em", 0]; },
    },
    strong: {
      attrs: { markup: { default: "**" } },
      parseDOM: [
        { tag: "strong" },
        // Google Docs wraps a whole paste in <b style="font-weight:normal">: not bold.
        { tag: "b", getAttrs: (node) => node.style.fontWeight !== "normal" && null },
        { style: "font-weight", getAttrs: (value) => /^(bold(er)?|[6-9]\d{2,})$/.test(value) && null },
      ],
      toDOM() { return ["strong", 0]; },
    },
    strike: {
      attrs: { markup: { default: "~~" } },
      parseDOM: [{ tag: "s" }, { tag: "del" }, { tag: "strike" }],
      toDOM() { return ["del", 0]; },
    },
    link: {
      attrs: { href: {}, title: { default: null } },
      inclusive: false,
      parseDOM: [{
        tag: "a[href]",
        getAttrs(dom) { return { href: dom.getAttribute("href"), title: dom.getAttribute("title") }; },
      }],
      toDOM(node) { return ["a", { href: node.attrs.href, title: node.attrs.title }, 0]; },
    },
    code: {
      parseDOM: [{ tag: "code" }],
      toDOM() { return ["code", 0]; },
    },
  },
});

// ------------------------------------------------------------------------------------ parsing

/** Footnotes as pulldown-cmark reads them: `[^label]` in text, `[^label]: …` as a block. */
function footnotes(md) {
  md.block.ruler.before("reference", "footnote_definition", (state, startLine, endLine, silent) => {
    const start = state.bMarks[startLine] + state.tShift[startLine];
    const line = state.src.slice(start, state.eMarks[startLine]);
    if (!/^\[\^[^\]\s]+\]:/.test(line)) return false;
    if (silent) return true;
    let next = startLine + 1;
    // Continuation lines are indented; a blank line followed by an indented one continues too.
    while (next < endLine) {
      const indented = state.sCount[next] >= state.blkIndent + 4;
      const blank = state.isEmpty(next);
      if (!indented && !(blank && next + 1 < endLine && state.sCount[next + 1] >= state.blkIndent + 4)) break;
      next++;
    }
    const token = state.push("kept_block", "", 0);
    token.map = [startLine, next];
    token.info = "Footnote";
    state.line = next;
    return true;
  });
  md.inline.ruler.before("link", "footnote_reference", (state, silent) => {
    const match = /^\[\^[^\]\s]+\]/.exec(state.src.slice(state.pos));
    if (!match) return false;
    if (!silent) state.push("kept_inline", "", 0).content = match[0];
    state.pos += match[0].length;
    return true;
  });
}

/**
 * Tables, HTML blocks and what markdown-it drops (link reference definitions) become kept blocks
 * holding their source lines. Works on the top level, where the line map is the source's own.
 */
function keepUnshownBlocks(md) {
  md.core.ruler.after("block", "kept_blocks", (state) => {
    const lines = state.src.split("\n");
    const out = [];
    let covered = 0; // the first source line not yet accounted for
    const keep = (from, to, kind) => {
      const text = lines.slice(from, to).join("\n").replace(/^(?:[ \t]*\n)+/, "").replace(/\s+$/, "");
      if (!text.trim()) return;
      const token = new state.Token("kept_block", "", 0);
      token.content = text;
      token.info = kind;
      out.push(token);
    };
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      if (token.level !== 0 || token.nesting === -1 || !token.map) {
        out.push(token);
        continue;
      }
      const [from, to] = token.map;
      if (from > covered) keep(covered, from, "Link definitions");
      covered = Math.max(covered, to);
      if (token.type === "table_open") {
        let depth = 0;
        let j = i;
        for (; j < tokens.length; j++) {
          if (tokens[j].type === "table_open") depth++;
          if (tokens[j].type === "table_close" && --depth === 0) break;
        }
        keep(from, to, "Table");
        i = j;
      } else if (token.type === "html_block" && !FIGURE.test(token.content)) {
        keep(from, to, "HTML");
      } else if (token.type === "heading_open" && /^[=-]/.test(token.markup)) {
        // A setext heading's underline, as long as the writer drew it.
        token.info = lines[to - 1].trim();
        out.push(token);
      } else if (token.type === "kept_block") {
        token.content = lines.slice(from, to).join("\n").replace(/\n+$/, "");
        out.push(token);
      } else {
        out.push(token);
      }
    }
    if (covered < lines.length) keep(covered, lines.length, "Link definitions");
    state.tokens = out;
  });
}

/** A hard break written with a backslash says so (two trailing spaces are the other way). */
function backslashBreaks(md) {
  const rule = md.inline.ruler.__rules__.find((r) => r.name === "escape").fn;
  md.inline.ruler.at("escape", (state, silent) => {
    const count = state.tokens.length;
    const found = rule(state, silent);
    if (found && !silent && state.tokens.length > count && state.tokens[state.tokens.length - 1].type === "hardbreak") {
      state.tokens[state.tokens.length - 1].markup = "\\";
    }
    return found;
  });
}

export const markdownIt = MarkdownIt("commonmark", { html: true })
  .enable(["table", "strikethrough"])
  .use(backslashBreaks)
  .use(footnotes)
  .use(keepUnshownBlocks);

// Each list's item markers are the writer's; markdown-it records them on the list item tokens.
function listMarkup(tokens, i) {
  for (let j = i + 1; j < tokens.length; j++) {
    if (tokens[j].type === "list_item_open") return tokens[j].markup;
  }
  return "";
}

function listIsTight(tokens, i) {
  while (++i < tokens.length) {
    if (tokens[i].type !== "list_item_open") return tokens[i].hidden;
  }
  return false;
}

const parser = new MarkdownParser(schema, markdownIt, {
  blockquote: { block: "blockquote" },
  paragraph: { block: "paragraph" },
  list_item: { block: "list_item" },
  bullet_list: {
    block: "bullet_list",
    getAttrs: (_, tokens, i) => ({ tight: listIsTight(tokens, i), bullet: listMarkup(tokens, i) || "-" }),
  },
  ordered_list: {
    block: "ordered_list",
    getAttrs: (tok, tokens, i) => ({
      order: +tok.attrGet("start") || 1,
      tight: listIsTight(tokens, i),
      delimiter: listMarkup(tokens, i) || ".",
    }),
  },
  heading: {
    block: "heading",
    getAttrs: (tok) => ({ level: +tok.tag.slice(1), setext: /^[=-]/.test(tok.markup) ? tok.info || tok.markup : "" }),
  },
  code_block: { block: "code_block", getAttrs: () => ({ fence: "" }), noCloseToken: true },
  fence: {
    block: "code_block",
    getAttrs: (tok) => ({ params: tok.info || "", fence: tok.markup }),
    noCloseToken: true,
  },
  hr: { node: "horizontal_rule", getAttrs: (tok) => ({ markup: tok.markup }) },
  image: {
    node: "image",
    getAttrs: (tok) => ({
      src: tok.attrGet("src"),
      title: tok.attrGet("title") || null,
      alt: (tok.children || []).map((c) => c.content).join(""),
    }),
  },
  hardbreak: { node: "hard_break", getAttrs: (tok) => ({ markup: tok.markup || "  " }) },
  em: { mark: "em", getAttrs: (tok) => ({ markup: tok.markup }) },
  strong: { mark: "strong", getAttrs: (tok) => ({ markup: tok.markup }) },
  s: { mark: "strike", getAttrs: (tok) => ({ markup: tok.markup }) },
  link: {
    mark: "link",
    getAttrs: (tok) => ({ href: tok.attrGet("href"), title: tok.attrGet("title") || null }),
  },
  code_inline: { mark: "code", noCloseToken: true },
  kept_block: { node: "kept_markdown", getAttrs: (tok) => ({ source: tok.content, kind: tok.info || "Markdown" }) },
  kept_inline: { node: "kept_inline", getAttrs: (tok) => ({ source: tok.content }) },
  html_inline: { node: "kept_inline", getAttrs: (tok) => ({ source: tok.content }) },
  html_block: {
    node: "figure",
    getAttrs: (tok) => {
      const m = FIGURE.exec(tok.content);
      return {
        src: unescapeHtml(m[1]), alt: unescapeHtml(m[2]), width: +m[3], height: +m[4],
        caption: unescapeHtml(m[5] || "").trim(), credit: unescapeHtml(m[6] || ""),
      };
    },
  },
});

// A soft line break is kept as a newline in the text, so the writer's lines come back as they were.
parser.tokenHandlers.softbreak = (state) => state.addText("\n");

/** Reads stored Markdown into a document. The text's trailing newlines are remembered by the caller. */
export function parseMarkdown(text) {
  return parser.parse(text);
}

// --------------------------------------------------------------------------------- serialising

function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function unescapeHtml(text) {
  return String(text).replace(/&quot;/g, "\"").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

/** The figure's HTML, in the one shape `FIGURE` reads back. */
export function figureHtml(a) {
  let html = `<figure><img src="${escapeHtml(a.src)}" alt="${escapeHtml(a.alt)}" width="${+a.width}" height="${+a.height}">`;
  if (a.caption || a.credit) {
    html += "<figcaption>" + escapeHtml(a.caption || "");
    if (a.credit) html += (a.caption ? " " : "") + `<small>${escapeHtml(a.credit)}</small>`;
    html += "</figcaption>";
  }
  return html + "</figure>";
}

// Escapes only what would otherwise be read as markup, so the writer's plain punctuation stays as
// typed. CommonMark §2.4: any ASCII punctuation may be backslash-escaped.
MarkdownSerializerState.prototype.esc = function esc(str, startOfLine = false) {
  // `*` between spaces cannot open or close emphasis (§6.2, flanking rules); `_` inside a word
  // neither.
  str = str.replace(/[`\\~[\]]|(?<!\s)\*|\*(?!\s)|_(?!\w)|(?<!\w)_/g, "\\$&");
  // A tag or an entity would become HTML (CommonMark §6.6, §2.5).
  str = str.replace(/<(?=[A-Za-z/!?])/g, "\\<").replace(/&(?=#?[A-Za-z0-9]+;)/g, "\\&");
  if (startOfLine) {
    str = str
      .replace(/^([-+*])(?=\s|$)/, "\\$1")
      .replace(/^>/, "\\>")
      .replace(/^(#{1,6})(?=\s|$)/, "\\$1")
      .replace(/^(\d{1,9})([.)])(?=\s|$)/, "$1\\$2")
      // A line of = or - under a paragraph line would make it a heading (§4.3).
      .replace(/^([=-]+\s*)$/, "\\$1");
  }
  return str;
};

// Each line of a soft-wrapped paragraph starts a line too, so it is escaped as one.
const plainText = MarkdownSerializerState.prototype.text;
MarkdownSerializerState.prototype.text = function text(content, escape = true) {
  if (!escape || !content.includes("\n")) return plainText.call(this, content, escape);
  const lines = content.split("\n");
  lines.forEach((line, i) => {
    if (i > 0) {
      plainText.call(this, "\n", false);
      this.atBlockStart = true;
    }
    plainText.call(this, line, true);
    this.atBlockStart = false;
  });
};

const serializer = new MarkdownSerializer({
  blockquote(state, node) {
    state.wrapBlock("> ", null, node, () => state.renderContent(node));
  },
  code_block(state, node) {
    const text = node.textContent;
    if (!node.attrs.fence) {
      state.text(text.split("\n").map((line) => "    " + line).join("\n"), false);
    } else {
      let fence = node.attrs.fence;
      while (text.includes(fence)) fence += fence[0];
      state.write(fence + (node.attrs.params || "") + "\n");
      state.text(text, false);
      state.ensureNewLine();
      state.write(fence);
    }
    state.closeBlock(node);
  },
  heading(state, node) {
    if (node.attrs.setext && node.attrs.level <= 2) {
      state.renderInline(node);
      state.ensureNewLine();
      state.write(node.attrs.setext);
    } else {
      state.write(state.repeat("#", node.attrs.level) + " ");
      state.renderInline(node, false);
    }
    state.closeBlock(node);
  },
  horizontal_rule(state, node) {
    state.write(node.attrs.markup || "---");
    state.closeBlock(node);
  },
  bullet_list(state, node) {
    state.renderList(node, "  ", () => (node.attrs.bullet || "-") + " ");
  },
  ordered_list(state, node) {
    const start = node.attrs.order ?? 1;
    const width = String(start + node.childCount - 1).length;
    const space = state.repeat(" ", width + 2);
    state.renderList(node, space, (i) => {
      const n = String(start + i);
      return state.repeat(" ", width - n.length) + n + (node.attrs.delimiter || ".") + " ";
    });
  },
  list_item(state, node) {
    state.renderContent(node);
  },
  paragraph(state, node) {
    state.renderInline(node);
    state.closeBlock(node);
  },
  kept_markdown(state, node) {
    state.text(node.attrs.source, false);
    state.closeBlock(node);
  },
  figure(state, node) {
    state.write(figureHtml(node.attrs));
    state.closeBlock(node);
  },
  image(state, node) {
    state.write("![" + state.esc(node.attrs.alt || "") + "](" + node.attrs.src.replace(/[()\s]/g, (c) => encodeURI(c) === c ? "\\" + c : encodeURI(c))
      + (node.attrs.title ? ' "' + node.attrs.title.replace(/"/g, '\\"') + '"' : "") + ")");
  },
  hard_break(state, node, parent, index) {
    for (let i = index + 1; i < parent.childCount; i++) {
      if (parent.child(i).type !== node.type) {
        state.write((node.attrs.markup === "\\" ? "\\" : "  ") + "\n");
        return;
      }
    }
  },
  kept_inline(state, node) {
    state.write(node.attrs.source);
  },
  text(state, node) {
    state.text(node.text, !state.inAutolink);
  },
}, {
  em: { open: (_s, mark) => mark.attrs.markup, close: (_s, mark) => mark.attrs.markup, mixable: true, expelEnclosingWhitespace: true },
  strong: { open: (_s, mark) => mark.attrs.markup, close: (_s, mark) => mark.attrs.markup, mixable: true, expelEnclosingWhitespace: true },
  strike: { open: (_s, mark) => mark.attrs.markup, close: (_s, mark) => mark.attrs.markup, mixable: true, expelEnclosingWhitespace: true },
  link: {
    open(state, mark, parent, index) {
      state.inAutolink = isPlainUrl(mark, parent, index);
      return state.inAutolink ? "<" : "[";
    },
    close(state, mark) {
      const auto = state.inAutolink;
      state.inAutolink = undefined;
      if (auto) return ">";
      const href = linkDestination(mark.attrs.href);
      return "](" + href + (mark.attrs.title ? ` "${mark.attrs.title.replace(/"/g, '\\"')}"` : "") + ")";
    },
    mixable: true,
  },
  code: {
    open(_state, _mark, parent, index) { return backticksFor(parent.child(index), -1); },
    close(_state, _mark, parent, index) { return backticksFor(parent.child(index - 1), 1); },
    escape: false,
  },
}, { hardBreakNodeName: "hard_break" });

/** A link destination as CommonMark §6.3 reads it back: balanced parentheses may stay bare. */
function linkDestination(href) {
  if (/[\s<>]/.test(href)) return "<" + href.replace(/[<>]/g, (c) => encodeURIComponent(c)) + ">";
  let depth = 0;
  for (const c of href) {
    if (c === "(") depth++;
    if (c === ")" && --depth < 0) break;
  }
  return depth === 0 ? href : href.replace(/[()]/g, "\\$&");
}

function backticksFor(node, side) {
  const ticks = /`+/g;
  let m;
  let len = 0;
  if (node.isText) while ((m = ticks.exec(node.text))) len = Math.max(len, m[0].length);
  let result = len > 0 && side > 0 ? " `" : "`";
  for (let i = 0; i < len; i++) result += "`";
  if (len > 0 && side < 0) result += " ";
  return result;
}

function isPlainUrl(link, parent, index) {
  if (link.attrs.title || !/^\w+:/.test(link.attrs.href)) return false;
  const content = parent.child(index);
  if (!content.isText || content.text !== link.attrs.href || content.marks[content.marks.length - 1] !== link) return false;
  return index === parent.childCount - 1 || !link.isInSet(parent.child(index + 1).marks);
}

/** Writes a document back as Markdown. */
export function serializeMarkdown(doc) {
  return serializer.serialize(doc, { tightLists: true });
}

/**
 * Markdown → document → Markdown, keeping the text's own leading and trailing white space (which
 * Markdown does not carry).
 */
export function roundTrip(text) {
  const { doc, edges } = readMarkdown(text);
  return writeMarkdown(doc, edges);
}

export function readMarkdown(text) {
  const normalized = text.replace(/\r\n?/g, "\n");
  // Only whole blank lines before the text: leading spaces on its first line can be markup.
  const edges = { before: /^(?:[ \t]*\n)*/.exec(normalized)[0], after: /\s*$/.exec(normalized)[0] };
  if (!normalized.trim()) return { doc: parseMarkdown(""), edges: { before: normalized, after: "" } };
  return { doc: parseMarkdown(normalized), edges };
}

export function writeMarkdown(doc, edges = { before: "", after: "" }) {
  // An empty paragraph (Enter pressed twice, a paste beside an empty line) has no Markdown of its
  // own; written out it would only add blank lines.
  const blocks = [];
  doc.forEach((block) => {
    if (!(block.type === schema.nodes.paragraph && block.content.size === 0)) blocks.push(block);
  });
  const body = blocks.length === doc.childCount || !blocks.length
    ? serializeMarkdown(doc)
    : serializeMarkdown(doc.copy(Fragment.from(blocks)));
  return body ? edges.before + body + edges.after : edges.before;
}
