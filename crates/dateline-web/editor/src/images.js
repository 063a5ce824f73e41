// Pictures where the writer is: a picture dropped or pasted into the text goes to the library
// through its upload endpoint (the same checks, the provenance read from the file), after the
// writer has described it; then it is placed in the text as a figure. The hero is chosen from a
// searchable grid of the library's thumbnails.

import { el, modal, announce, csrfToken, debounce } from "./ui.js";

/** Uploads `file` with its descriptions; resolves to the library's JSON view or `{ errors }`. */
async function upload(form, file, values) {
  const data = new FormData();
  // The token goes first: the server reads it from the first part before the file.
  data.append("csrf", csrfToken(form));
  data.append("alt", values.alt);
  data.append("caption", values.caption);
  data.append("credit", values.credit);
  data.append("source_type", "");
  data.append("file", file, file.name || "pasted-picture");
  const response = await fetch("/newsroom/images", {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    body: data,
  });
  const answer = await response.json().catch(() => ({}));
  if (response.ok) return answer;
  return { errors: answer.errors || { form: `The library did not take the picture (HTTP ${response.status}).` } };
}

/** Asks for alt text, caption and credit for each picture in turn, uploads it and places it. */
export function placePictures(form, surface, files, pos) {
  const [file, ...rest] = files;
  if (!file) return;
  // A data: URL, which the newsroom's CSP allows for pictures (a blob: URL it does not).
  const preview = el("img", { alt: "", class: "dialog-picture" });
  const reader = new FileReader();
  reader.addEventListener("load", () => { preview.src = reader.result; });
  reader.readAsDataURL(file);
  modal({
    title: "Describe the picture",
    intro: el("div", {}, preview, el("p", {}, `${file.name || "Pasted picture"}: it goes into the image library and the story. Its digital source type is read from the file, as the library does.`)),
    fields: [
      { name: "alt", label: "Alt text", required: true, hint: "What the picture shows, for readers who cannot see it.", requiredMessage: "Alt text is required: describe the picture for readers who cannot see it." },
      { name: "caption", label: "Caption", multiline: true },
      { name: "credit", label: "Credit", hint: "e.g. “Photo: Ana Ruiz for The Courier”" },
    ],
    submit: "Upload and place",
    async onSubmit(values, { status }) {
      status.textContent = "Uploading…";
      let answer;
      try {
        answer = await upload(form, file, values);
      } catch {
        return { form: "The newsroom could not be reached: the picture was not uploaded." };
      }
      if (answer.errors) {
        status.textContent = "";
        return answer.errors;
      }
      surface.insertFigure({
        src: answer.src, alt: answer.alt, width: answer.src_width, height: answer.src_height,
        caption: answer.caption || "", credit: answer.credit || "",
      }, pos);
      const source = answer.source_type_label ? `; readers see “${answer.source_type_label}”` : "";
      announce(`Picture ${answer.id} added to the library and placed${source}.`);
      return null;
    },
    onClose() {
      if (rest.length) placePictures(form, surface, rest, pos);
    },
  });
}

/** The hero field: the select stays the form field; a grid of thumbnails chooses for it. */
export function heroPicker(form) {
  const select = form.querySelector("#hero_image_id");
  if (!select) return;
  const chosen = el("div", { class: "hero-chosen", "aria-live": "polite" });
  const open = el("button", { type: "button", class: "hero-open" }, "Choose from the library…");
  const clear = el("button", { type: "button", class: "secondary" }, "No hero image");
  select.closest("p").after(el("div", { class: "hero-picker" }, chosen, el("p", {}, open, " ", clear)));
  select.closest("p").classList.add("hero-select");

  const show = async () => {
    chosen.replaceChildren();
    const id = select.value;
    if (!id) {
      chosen.append(el("p", { class: "field-hint" }, "No hero image."));
      form.dispatchEvent(new CustomEvent("hero-change", { detail: null }));
      return;
    }
    try {
      const response = await fetch(`/newsroom/images/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const image = await response.json();
      chosen.append(el("img", { src: image.thumbnail, alt: image.alt, width: 160, height: Math.round(160 * image.height / image.width) || 90 }),
        el("p", {}, `Hero: ${image.alt}`));
      form.dispatchEvent(new CustomEvent("hero-change", { detail: image }));
    } catch {
      chosen.append(el("p", {}, `Hero: picture ${id}`));
    }
  };
  const choose = (image) => {
    if (![...select.options].some((o) => o.value === String(image.id))) {
      select.append(el("option", { value: image.id }, `#${image.id} ${image.alt}`));
    }
    select.value = String(image.id);
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };
  select.addEventListener("change", show);
  clear.addEventListener("click", () => {
    select.value = "";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });
  open.addEventListener("click", () => openGrid(choose, select.value, open));
  show();
}

function openGrid(choose, current, returnFocus) {
  const search = el("input", { type: "search", id: "hero-search", autocomplete: "off" });
  const grid = el("ul", { class: "hero-grid", "aria-label": "Library pictures" });
  const count = el("p", { class: "field-hint", role: "status" });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, "More pictures");
  let page = 1;
  let query = "";
  const dialog = el("dialog", { class: "editor-dialog hero-dialog", "aria-labelledby": "hero-dialog-title" },
    el("h2", { id: "hero-dialog-title" }, "Choose the hero image"),
    el("p", {}, el("label", { for: "hero-search" }, "Search alt text, captions and credits"), search),
    count, grid, el("p", { class: "dialog-buttons" }, more, " ", el("button", { type: "button", class: "secondary", "data-close": "" }, "Cancel")));
  (document.querySelector("main") || document.body).append(dialog);
  const close = () => {
    dialog.close();
    dialog.remove();
    returnFocus.focus();
  };
  dialog.querySelector("[data-close]").addEventListener("click", close);
  dialog.addEventListener("cancel", (e) => { e.preventDefault(); close(); });

  const load = async (append) => {
    const params = new URLSearchParams({ page: String(page) });
    if (query) params.set("q", query);
    const response = await fetch(`/newsroom/images?${params}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const found = await response.json();
    if (!append) grid.replaceChildren();
    for (const image of found.images) {
      const button = el("button", { type: "button", class: "hero-choice", "aria-pressed": String(String(image.id) === current) },
        el("img", { src: image.thumbnail, alt: "", width: 160, height: Math.round(160 * image.height / image.width) || 90, loading: "lazy" }),
        el("span", {}, image.alt));
      button.addEventListener("click", () => {
        choose(image);
        close();
      });
      grid.append(el("li", {}, button));
    }
    count.textContent = `${found.total} picture${found.total === 1 ? "" : "s"}${query ? ` match “${query}”` : " in the library"}.`;
    more.hidden = found.page >= found.pages;
  };
  search.addEventListener("input", debounce(() => {
    query = search.value.trim();
    page = 1;
    load(false);
  }, 250));
  more.addEventListener("click", () => {
    page += 1;
    load(true);
  });
  dialog.showModal();
  search.focus();
  load(false);
}
