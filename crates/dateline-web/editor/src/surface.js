// The writing surface: a ProseMirror editor over the body's textarea. The textarea stays the form
// field (without JavaScript it is the editor); every change in the rich view is written back to
// it as Markdown, and the source view is the textarea itself.

import { EditorState, Plugin, TextSelection } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { DOMParser as ProseParser } from "prosemirror-model";
import { baseKeymap, toggleMark, setBlockType, wrapIn, chainCommands, exitCode, lift } from "prosemirror-commands";
import { keymap } from "prosemirror-keymap";
import { history, undo, redo } from "prosemirror-history";
import { wrapInList, splitListItem, liftListItem, sinkListItem } from "prosemirror-schema-list";
import { inputRules, wrappingInputRule, textblockTypeInputRule, smartQuotes, emDash, ellipsis } from "prosemirror-inputrules";
import { schema, readMarkdown, writeMarkdown, parseMarkdown } from "./markdown.js";
import { cleanPastedHtml } from "./paste.js";
import { el, modal } from "./ui.js";

const isMac = /Mac|iP(hone|ad)/.test(navigator.platform);
export const MOD = isMac ? "⌘" : "Ctrl";

function markActive(state, type) {
  const { from, $from, to, empty } = state.selection;
  if (empty) return !!type.isInSet(state.storedMarks || $from.marks());
  return state.doc.rangeHasMark(from, to, type);
}

function blockActive(state, type, attrs = {}) {
  const { $from } = state.selection;
  for (let d = $from.depth; d > 0; d--) {
    const node = $from.node(d);
    if (node.type === type && Object.keys(attrs).every((k) => node.attrs[k] === attrs[k])) return true;
  }
  return false;
}

function buildInputRules() {
  return inputRules({
    rules: [
      ...smartQuotes, ellipsis, emDash,
      wrappingInputRule(/^\s*>\s$/, schema.nodes.blockquote),
      wrappingInputRule(/^\s*([-+*])\s$/, schema.nodes.bullet_list, (m) => ({ bullet: m[1] })),
      wrappingInputRule(/^(\d+)([.)])\s$/, schema.nodes.ordered_list,
        (m) => ({ order: +m[1], delimiter: m[2] }),
        (m, node) => node.childCount + node.attrs.order === +m[1]),
      textblockTypeInputRule(/^(#{2,4})\s$/, schema.nodes.heading, (m) => ({ level: m[1].length })),
    ],
  });
}

/** Asks for a link's address in a small dialog; an empty address removes the link. */
export function promptLink(view) {
  const { state } = view;
  const type = schema.marks.link;
  let current = "";
  state.doc.nodesBetween(state.selection.from, state.selection.to, (node) => {
    const mark = type.isInSet(node.marks);
    if (mark) current = mark.attrs.href;
  });
  if (state.selection.empty && !current) {
    return false;
  }
  modal({
    title: "Link",
    fields: [{ name: "href", label: "Address (https://…)", type: "url", value: current, required: false }],
    submit: "Apply",
    onSubmit(values) {
      const href = values.href.trim();
      let { from, to } = view.state.selection;
      let tr = view.state.tr.removeMark(from, to, type);
      if (href) tr = tr.addMark(from, to, type.create({ href }));
      view.dispatch(tr);
      view.focus();
      return null;
    },
    onClose() { view.focus(); },
  });
  return true;
}

function linkCommand(state, dispatch, view) {
  if (!view) return !state.selection.empty;
  return promptLink(view);
}

export function buildKeymap(extra) {
  const hardBreak = chainCommands(exitCode, (state, dispatch) => {
    if (dispatch) dispatch(state.tr.replaceSelectionWith(schema.nodes.hard_break.create({ markup: "\\" })).scrollIntoView());
    return true;
  });
  return {
    "Mod-z": undo,
    "Shift-Mod-z": redo,
    "Mod-y": redo,
    "Mod-b": toggleMark(schema.marks.strong),
    "Mod-i": toggleMark(schema.marks.em),
    "Mod-k": linkCommand,
    "Mod-e": toggleMark(schema.marks.code),
    "Shift-Enter": hardBreak,
    "Mod-Enter": hardBreak,
    Enter: splitListItem(schema.nodes.list_item),
    "Mod-[": liftListItem(schema.nodes.list_item),
    "Mod-]": sinkListItem(schema.nodes.list_item),
    "Shift-Ctrl-8": wrapInList(schema.nodes.bullet_list),
    "Shift-Ctrl-9": wrapInList(schema.nodes.ordered_list),
    "Shift-Ctrl-0": setBlockType(schema.nodes.paragraph),
    "Shift-Ctrl-2": setBlockType(schema.nodes.heading, { level: 2 }),
    "Shift-Ctrl-3": setBlockType(schema.nodes.heading, { level: 3 }),
    ...extra,
  };
}

const TOOLS = [
  { name: "Bold", key: "Mod-B", icon: "B", run: toggleMark(schema.marks.strong), active: (s) => markActive(s, schema.marks.strong) },
  { name: "Italic", key: "Mod-I", icon: "I", run: toggleMark(schema.marks.em), active: (s) => markActive(s, schema.marks.em) },
  { name: "Link", key: "Mod-K", icon: "Link", run: linkCommand, active: (s) => markActive(s, schema.marks.link) },
  { name: "H2 subheading", key: "Ctrl-Shift-2", icon: "H2", run: setBlockType(schema.nodes.heading, { level: 2 }), active: (s) => blockActive(s, schema.nodes.heading, { level: 2 }) },
  { name: "H3 smaller subheading", key: "Ctrl-Shift-3", icon: "H3", run: setBlockType(schema.nodes.heading, { level: 3 }), active: (s) => blockActive(s, schema.nodes.heading, { level: 3 }) },
  { name: "Paragraph", key: "Ctrl-Shift-0", icon: "¶", run: setBlockType(schema.nodes.paragraph), active: (s) => s.selection.$from.parent.type === schema.nodes.paragraph && !blockActive(s, schema.nodes.list_item) },
  { name: "Bulleted list", key: "Ctrl-Shift-8", icon: "• List", run: wrapInList(schema.nodes.bullet_list), active: (s) => blockActive(s, schema.nodes.bullet_list) },
  { name: "1. List, numbered", key: "Ctrl-Shift-9", icon: "1. List", run: wrapInList(schema.nodes.ordered_list), active: (s) => blockActive(s, schema.nodes.ordered_list) },
  { name: "Quote", key: null, icon: "“ Quote", run: (state, dispatch) => (blockActive(state, schema.nodes.blockquote) ? lift(state, dispatch) : wrapIn(schema.nodes.blockquote)(state, dispatch)), active: (s) => blockActive(s, schema.nodes.blockquote) },
  { name: "Undo", key: "Mod-Z", icon: "Undo", run: undo },
  { name: "Redo", key: "Mod-Y", icon: "Redo", run: redo },
];

export function keyLabel(key) {
  return key.replace("Mod", MOD);
}

/** A toolbar whose buttons follow the selection (WAI-ARIA toolbar pattern: one tab stop, arrows move). */
function toolbar(getView) {
  const bar = el("div", { class: "editor-toolbar", role: "toolbar", "aria-label": "Formatting", "aria-controls": "body-editor" });
  const buttons = TOOLS.map((tool, i) => {
    const button = el("button", {
      type: "button",
      class: "editor-tool",
      tabindex: i === 0 ? "0" : "-1",
      title: tool.key ? `${tool.name} (${keyLabel(tool.key)})` : tool.name,
      "aria-label": tool.name,
      ...(tool.active ? { "aria-pressed": "false" } : {}),
    }, tool.icon);
    button.addEventListener("mousedown", (e) => e.preventDefault());
    button.addEventListener("click", () => {
      const view = getView();
      tool.run(view.state, view.dispatch, view);
      view.focus();
    });
    bar.append(button);
    return button;
  });
  bar.addEventListener("keydown", (e) => {
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    let next = null;
    if (e.key === "ArrowRight") next = (index + 1) % buttons.length;
    if (e.key === "ArrowLeft") next = (index - 1 + buttons.length) % buttons.length;
    if (e.key === "Home") next = 0;
    if (e.key === "End") next = buttons.length - 1;
    if (next === null) return;
    e.preventDefault();
    buttons[index].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  });
  return {
    element: bar,
    update(state) {
      TOOLS.forEach((tool, i) => {
        if (tool.active) buttons[i].setAttribute("aria-pressed", String(!!tool.active(state)));
        buttons[i].disabled = !tool.run(state, null, null) && !tool.active?.(state) && tool.name !== "Link";
      });
    },
    setDisabled(disabled) {
      buttons.forEach((b) => { b.disabled = disabled; });
    },
  };
}

/**
 * Puts the rich editor over `textarea`. Returns the surface: `markdown()` (the body as stored),
 * `setMarkdown(text)`, `view`, `onChange(fn)`, and `insertFigure(attrs, pos)`.
 */
export function createSurface(textarea, { extraKeys = {}, handleFiles = null } = {}) {
  const listeners = [];
  let edges = { before: "", after: "" };
  let view = null;
  let sourceMode = false;
  let lastWritten = textarea.value;

  const label = document.querySelector(`label[for="${textarea.id}"]`);
  if (label) {
    label.id ||= `${textarea.id}-label`;
    label.textContent = label.textContent.replace(/\s*\(Markdown\)\s*/, "");
    // The label names the rich view too; a click on it goes to whichever view is shown.
    label.addEventListener("click", (event) => {
      if (sourceMode) return;
      event.preventDefault();
      view.focus();
    });
  }
  const wrapper = el("div", { class: "editor-surface" });
  const bar = toolbar(() => view);
  const modeSwitch = el("button", { type: "button", class: "editor-mode", "aria-pressed": "false" }, "Markdown source");
  const head = el("div", { class: "editor-head" }, bar.element, modeSwitch);
  const mount = el("div", { class: "editor-rich" });
  textarea.before(wrapper);
  wrapper.append(head, mount);
  wrapper.append(textarea);
  textarea.hidden = true;
  textarea.classList.add("editor-source");

  const plugins = [
    buildInputRules(),
    keymap(buildKeymap(extraKeys)),
    keymap(baseKeymap),
    history(),
    new Plugin({ view: () => ({ update: (v) => bar.update(v.state) }) }),
  ];

  const initial = readMarkdown(textarea.value);
  edges = initial.edges;
  view = new EditorView(mount, {
    state: EditorState.create({ doc: initial.doc, plugins }),
    attributes: {
      id: "body-editor",
      class: "editor-prose",
      role: "textbox",
      "aria-multiline": "true",
      ...(label ? { "aria-labelledby": label.id } : { "aria-label": "Body" }),
      spellcheck: "true",
      lang: document.documentElement.lang || "en",
    },
    transformPastedHTML: cleanPastedHtml,
    // Plain text that is Markdown (from a text editor, or our own source view) keeps its structure.
    clipboardTextParser(text, $context, plain) {
      if (plain) return null;
      const doc = parseMarkdown(text.replace(/\r\n?/g, "\n"));
      return doc.slice(0, doc.content.size);
    },
    handlePaste(v, event) {
      const files = [...(event.clipboardData?.files || [])].filter((f) => /^image\//.test(f.type));
      if (!files.length || !handleFiles) return false;
      event.preventDefault();
      handleFiles(files, v.state.selection.from);
      return true;
    },
    handleDrop(v, event) {
      const files = [...(event.dataTransfer?.files || [])].filter((f) => /^image\//.test(f.type));
      if (!files.length || !handleFiles) return false;
      event.preventDefault();
      const at = v.posAtCoords({ left: event.clientX, top: event.clientY });
      handleFiles(files, at ? at.pos : v.state.selection.from);
      return true;
    },
    dispatchTransaction(tr) {
      const state = view.state.apply(tr);
      view.updateState(state);
      if (tr.docChanged) write();
    },
  });
  bar.update(view.state);

  let writeTimer = null;
  function write() {
    clearTimeout(writeTimer);
    // Serialising a long story on every key would cost more than typing; a pause is enough, and
    // anything that reads the field first calls flush().
    writeTimer = setTimeout(flush, 120);
  }
  function flush() {
    clearTimeout(writeTimer);
    if (sourceMode) return textarea.value;
    const text = writeMarkdown(view.state.doc, edges);
    if (text !== lastWritten) {
      lastWritten = text;
      textarea.value = text;
      listeners.forEach((fn) => fn(text));
    }
    return text;
  }

  textarea.addEventListener("input", () => {
    if (!sourceMode) return;
    lastWritten = textarea.value;
    listeners.forEach((fn) => fn(textarea.value));
  });
  textarea.form?.addEventListener("submit", flush, true);

  function setSource(on) {
    if (on === sourceMode) return;
    if (on) {
      flush();
      sourceMode = true;
      textarea.hidden = false;
      mount.hidden = true;
      bar.setDisabled(true);
      textarea.focus();
    } else {
      sourceMode = false;
      setMarkdown(textarea.value);
      textarea.hidden = true;
      mount.hidden = false;
      bar.update(view.state);
      view.focus();
    }
    modeSwitch.setAttribute("aria-pressed", String(on));
  }
  modeSwitch.addEventListener("click", () => setSource(!sourceMode));

  function setMarkdown(text) {
    const read = readMarkdown(text);
    edges = read.edges;
    const state = EditorState.create({ doc: read.doc, plugins });
    view.updateState(state);
    textarea.value = text;
    lastWritten = text;
    listeners.forEach((fn) => fn(text));
  }

  return {
    view,
    markdown: flush,
    setMarkdown,
    isSource: () => sourceMode,
    toggleSource: () => setSource(!sourceMode),
    onChange(fn) { listeners.push(fn); },
    focus() { (sourceMode ? textarea : view).focus(); },
    insertFigure(attrs, pos) {
      if (sourceMode) {
        setSource(false);
      }
      const node = schema.nodes.figure.create(attrs);
      const state = view.state;
      let at = Math.min(pos ?? state.selection.from, state.doc.content.size);
      // A figure is a block: it goes after the block the position is in.
      const $at = state.doc.resolve(at);
      const after = $at.depth > 0 ? $at.after(1) : at;
      const tr = state.tr.insert(after, node);
      tr.setSelection(TextSelection.near(tr.doc.resolve(Math.min(after + node.nodeSize, tr.doc.content.size))));
      view.dispatch(tr.scrollIntoView());
      view.focus();
    },
    parseHtml(html) {
      const holder = document.createElement("div");
      holder.innerHTML = cleanPastedHtml(html);
      return ProseParser.fromSchema(schema).parse(holder);
    },
  };
}
