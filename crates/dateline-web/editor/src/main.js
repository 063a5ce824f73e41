// The newsroom's article editor. Every part enhances the plain form, which works fully without
// JavaScript: the textarea, the selects and the comma-separated tags stay the form's fields.

import { createSurface, keyLabel, promptLink } from "./surface.js";
import { placePictures, heroPicker } from "./images.js";
import { bylineList, tagChips } from "./people.js";
import { storyStats, lengthAdvice } from "./stats.js";
import { livePreview, metadataPreview } from "./preview.js";
import { autosave } from "./autosave.js";
import { presence } from "./presence.js";
import { el, debounce } from "./ui.js";

const SHORTCUTS = [
  ["Mod-S", "Save"],
  ["Mod-Shift-P", "Show or hide the preview"],
  ["Mod-B", "Bold"],
  ["Mod-I", "Italic"],
  ["Mod-K", "Link"],
  ["Mod-Shift-M", "Switch between the rich view and Markdown source"],
  ["Ctrl-Shift-2 / 3", "Subheading / smaller subheading"],
  ["Ctrl-Shift-8 / 9", "Bulleted / numbered list"],
  ["Alt-↑ / Alt-↓", "Move a byline name up or down"],
  ["?", "This list (outside a text field)"],
];

function shortcutHelp(returnFocus) {
  const dialog = el("dialog", { class: "editor-dialog", "aria-labelledby": "shortcuts-title" },
    el("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
    el("dl", { class: "shortcut-list" }, ...SHORTCUTS.flatMap(([key, what]) => [el("dt", {}, el("kbd", {}, keyLabel(key))), el("dd", {}, what)])),
    el("p", { class: "dialog-buttons" }, el("button", { type: "button", "data-close": "" }, "Close")));
  (document.querySelector("main") || document.body).append(dialog);
  const close = () => {
    dialog.close();
    dialog.remove();
    returnFocus?.focus();
  };
  dialog.querySelector("[data-close]").addEventListener("click", close);
  dialog.addEventListener("cancel", (e) => { e.preventDefault(); close(); });
  dialog.showModal();
  dialog.querySelector("[data-close]").focus();
}

function typingIn(target) {
  return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
}

function start() {
  const form = document.querySelector("form.article-form");
  const body = form?.querySelector("#body");
  if (!form || !body) return;
  document.documentElement.classList.add("editor-enhanced");
  const saveButton = form.querySelector('button[name="intent"][value="save"]');
  const pane = document.querySelector(".live-preview");
  const layout = document.querySelector(".editor-layout");

  let surface = null;
  let saving = false;
  const save = () => {
    // One Save per press: a second POST would carry the same version and be refused.
    if (saving) return;
    saving = true;
    surface?.markdown();
    form.requestSubmit(saveButton);
    setTimeout(() => { saving = false; }, 3000);
  };
  const togglePreview = () => {
    if (!pane || !layout) return;
    const hidden = layout.classList.toggle("preview-off");
    pane.hidden = hidden;
    previewToggle.setAttribute("aria-pressed", String(!hidden));
  };
  surface = createSurface(body, {
    // Save, preview and the source switch are the page's shortcuts (handled on the document,
    // below), so they work from any field; these belong to the text.
    extraKeys: {
      "Mod-k": (state, dispatch, view) => (view ? promptLink(view) : !state.selection.empty),
    },
    handleFiles: (files, pos) => placePictures(form, surface, files, pos),
  });

  // The writing tools beside the buttons.
  const status = form.querySelector(".autosave-status");
  const previewToggle = el("button", { type: "button", class: "secondary preview-toggle", "aria-pressed": "true", "aria-controls": "live-preview-pane" }, "Live preview");
  const help = el("button", { type: "button", class: "secondary", "aria-keyshortcuts": "Shift+Slash" }, "Shortcuts (?)");
  saveButton.setAttribute("aria-keyshortcuts", "Control+S Meta+S");
  status.before(previewToggle, " ", help, " ");
  previewToggle.addEventListener("click", togglePreview);
  help.addEventListener("click", () => shortcutHelp(help));

  // As you type: counts and guidance.
  const statsLine = el("p", { class: "body-stats", id: "body-stats", "aria-live": "off" });
  surface.view.dom.closest(".editor-surface").after(statsLine);
  const meter = (field, kind) => {
    const input = form.querySelector(field);
    const out = el("span", { class: "length-advice", id: `${input.id}-advice`, "aria-live": "polite" });
    input.after(out);
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), out.id].filter(Boolean).join(" "));
    const update = () => {
      const advice = lengthAdvice(kind, input.value);
      out.textContent = `${advice.length} characters: ${advice.text}.`;
      out.dataset.tone = advice.tone;
    };
    input.addEventListener("input", update);
    update();
  };
  meter("#headline", "headline");
  meter("#standfirst", "standfirst");
  const hero = form.querySelector("#hero_image_id");
  const updateStats = debounce(() => {
    const s = storyStats({
      headline: form.querySelector("#headline").value,
      standfirst: form.querySelector("#standfirst").value,
      body: body.value,
      hasHero: !!hero?.value,
    });
    statsLine.replaceChildren(
      el("span", { class: "stat-words" }, `${s.words.toLocaleString()} words`), " · ",
      el("span", { class: "stat-reading" }, `${s.readingMinutes} min read`), " · ",
      el("span", { class: "stat-narration" }, `narration ≈ ${s.narration}`),
      s.images ? ` · ${s.images} picture${s.images === 1 ? "" : "s"} in the text` : "");
  }, 200);
  surface.onChange(updateStats);
  form.addEventListener("input", updateStats);
  form.addEventListener("change", updateStats);
  updateStats.now();

  bylineList(form);
  tagChips(form);
  heroPicker(form);
  const meta = document.querySelector(".metadata-preview");
  if (meta) {
    meta.hidden = false;
    metadataPreview(form, meta.querySelector(".metadata-preview-cards"));
  }
  if (pane) livePreview(form, pane);
  surface.onChange(() => form.dispatchEvent(new Event("input", { bubbles: true })));

  const autosaver = autosave(form, { surface, status });
  presence(form, { articleId: form.dataset.articleId, autosaver });

  document.addEventListener("keydown", (e) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && !e.altKey && e.key.toLowerCase() === "s") {
      e.preventDefault();
      save();
    } else if (mod && e.shiftKey && e.key.toLowerCase() === "p") {
      e.preventDefault();
      togglePreview();
    } else if (mod && e.shiftKey && e.key.toLowerCase() === "m") {
      e.preventDefault();
      surface.toggleSource();
    } else if (e.key === "?" && !mod && !typingIn(e.target) && !document.querySelector("dialog[open]")) {
      e.preventDefault();
      shortcutHelp(document.activeElement);
    }
  });
  // The tests read the surface; the performance trace reads when the editor became usable.
  window.datelineEditor = surface;
  performance.mark("editor-ready");
}

start();
