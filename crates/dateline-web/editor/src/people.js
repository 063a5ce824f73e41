// People and tags. The byline becomes a list you can reorder (buttons, Alt+arrow keys, or drag)
// with a type-ahead to add anyone from the authors list, as many as the story has; the form posts
// one `author` field per name, in order. Tags become chips with a type-ahead that offers the
// newsroom's existing tags first; the comma-separated `tags` field stays the one that is posted.

import { el, announce, debounce } from "./ui.js";

let comboboxes = 0;

/**
 * An ARIA 1.2 combobox (editable, list autocomplete): `suggest(text)` resolves to options
 * `{ value, label, note }`; `pick(option)` takes the chosen one.
 */
function combobox({ label, placeholder, suggest, pick, allowFree, firstByDefault = true }) {
  const id = `combo-${++comboboxes}`;
  const input = el("input", {
    id, type: "text", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": `${id}-list`, autocomplete: "off", placeholder,
  });
  const list = el("ul", { id: `${id}-list`, role: "listbox", class: "combo-list", "aria-label": label, hidden: true });
  const wrap = el("div", { class: "combo" }, el("label", { for: id }, label), input, list);
  let options = [];
  let active = -1;
  const render = () => {
    list.replaceChildren(...options.map((option, i) => {
      const item = el("li", { id: `${id}-opt-${i}`, role: "option", "aria-selected": String(i === active) },
        option.label, option.note ? el("span", { class: "combo-note" }, ` ${option.note}`) : null);
      item.addEventListener("mousedown", (e) => e.preventDefault());
      item.addEventListener("click", () => choose(i));
      return item;
    }));
    const open = options.length > 0 && document.activeElement === input;
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    if (active >= 0) input.setAttribute("aria-activedescendant", `${id}-opt-${active}`);
    else input.removeAttribute("aria-activedescendant");
  };
  const refresh = debounce(async () => {
    const text = input.value.trim();
    options = await suggest(text);
    // Enter takes the exact match; otherwise the first suggestion where the list is the only
    // choice (people), or what was typed where new entries are welcome (tags).
    active = text ? options.findIndex((o) => normalise(String(o.value)) === normalise(text)) : -1;
    if (active < 0 && text && firstByDefault && options.length) active = 0;
    render();
  }, 120);
  const choose = (i) => {
    const option = options[i];
    if (!option) return;
    pick(option);
    input.value = "";
    options = [];
    active = -1;
    render();
    input.focus();
  };
  input.addEventListener("input", refresh);
  input.addEventListener("focus", refresh);
  input.addEventListener("blur", () => {
    setTimeout(() => {
      options = [];
      render();
    }, 100);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && options.length) {
      e.preventDefault();
      active = (active + 1) % options.length;
      render();
    } else if (e.key === "ArrowUp" && options.length) {
      e.preventDefault();
      active = (active - 1 + options.length) % options.length;
      render();
    } else if (e.key === "Enter" || (e.key === "," && allowFree)) {
      if (active >= 0) {
        e.preventDefault();
        choose(active);
      } else if (allowFree && input.value.trim()) {
        e.preventDefault();
        pick({ value: input.value.trim(), label: input.value.trim() });
        input.value = "";
      } else if (e.key === "Enter") {
        // Enter in an empty type-ahead must not submit the whole article.
        e.preventDefault();
      }
    } else if (e.key === "Escape" && options.length) {
      e.preventDefault();
      options = [];
      render();
    }
  });
  return { element: wrap, input };
}

function normalise(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** The byline: the server's rows of selects become one ordered list. */
export function bylineList(form) {
  const fieldset = form.querySelector("fieldset.byline-fields");
  if (!fieldset) return;
  const selects = [...fieldset.querySelectorAll('select[name="author"]')];
  if (!selects.length) return;
  const everyone = [...selects[0].options].filter((o) => o.value).map((o) => ({ id: o.value, name: o.textContent }));
  const chosen = selects.map((s) => s.value).filter(Boolean);
  // The selects stop being form fields; the list's hidden inputs take over.
  selects.forEach((s) => {
    s.disabled = true;
    s.closest("p").hidden = true;
  });
  const list = el("ol", { class: "byline-list", "aria-label": "Byline, in order" });
  const hint = el("p", { class: "field-hint", id: "byline-hint" }, "Reorder with the arrow buttons, Alt+Up and Alt+Down, or by dragging.");
  const nameOf = (id) => everyone.find((a) => a.id === id)?.name || id;

  const changed = () => form.dispatchEvent(new Event("input", { bubbles: true }));
  const move = (item, by) => {
    const items = [...list.children];
    const index = items.indexOf(item);
    const target = index + by;
    if (target < 0 || target >= items.length) return;
    if (by < 0) items[target].before(item);
    else items[target].after(item);
    renumber();
    item.querySelector(by < 0 ? ".byline-up" : ".byline-down")?.focus();
    if (item.querySelector(by < 0 ? ".byline-up" : ".byline-down")?.disabled) item.querySelector(".byline-name").focus();
    announce(`${nameOf(item.dataset.id)} is now number ${target + 1} of ${items.length}.`);
    changed();
  };
  const renumber = () => {
    const items = [...list.children];
    items.forEach((item, i) => {
      item.querySelector(".byline-up").disabled = i === 0;
      item.querySelector(".byline-down").disabled = i === items.length - 1;
    });
  };
  const add = (id) => {
    if ([...list.children].some((item) => item.dataset.id === id)) return;
    const name = nameOf(id);
    const item = el("li", { class: "byline-item", draggable: "true", "data-id": id },
      el("input", { type: "hidden", name: "author", value: id }),
      el("span", { class: "byline-name", tabindex: "-1" }, name),
      el("span", { class: "byline-buttons" },
        el("button", { type: "button", class: "byline-up", "aria-label": `Move ${name} up` }, "↑"),
        el("button", { type: "button", class: "byline-down", "aria-label": `Move ${name} down` }, "↓"),
        el("button", { type: "button", class: "byline-remove", "aria-label": `Remove ${name}` }, "Remove")));
    item.querySelector(".byline-up").addEventListener("click", () => move(item, -1));
    item.querySelector(".byline-down").addEventListener("click", () => move(item, 1));
    item.querySelector(".byline-remove").addEventListener("click", () => {
      const next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      renumber();
      announce(`${name} removed from the byline.`);
      (next ? next.querySelector(".byline-remove") : picker.input).focus();
      changed();
    });
    item.addEventListener("keydown", (e) => {
      if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
        e.preventDefault();
        move(item, e.key === "ArrowUp" ? -1 : 1);
      }
    });
    item.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData("text/x-dateline-author", id);
      e.dataTransfer.effectAllowed = "move";
      item.classList.add("dragging");
    });
    item.addEventListener("dragend", () => item.classList.remove("dragging"));
    item.addEventListener("dragover", (e) => {
      if (![...e.dataTransfer.types].includes("text/x-dateline-author")) return;
      e.preventDefault();
      const dragged = list.querySelector(".dragging");
      if (!dragged || dragged === item) return;
      const box = item.getBoundingClientRect();
      if (e.clientY < box.top + box.height / 2) item.before(dragged);
      else item.after(dragged);
    });
    item.addEventListener("drop", (e) => {
      e.preventDefault();
      renumber();
      changed();
    });
    list.append(item);
    renumber();
    changed();
  };
  const picker = combobox({
    label: "Add an author",
    placeholder: "Type a name",
    suggest: async (text) => {
      const taken = new Set([...list.children].map((i) => i.dataset.id));
      const needle = normalise(text);
      return everyone
        .filter((a) => !taken.has(a.id) && (!needle || normalise(a.name).split(/\s+/).some((w) => w.startsWith(needle)) || normalise(a.name).startsWith(needle)))
        .slice(0, 8)
        .map((a) => ({ value: a.id, label: a.name }));
    },
    pick: (option) => {
      add(option.value);
      announce(`${option.label} added to the byline.`);
    },
  });
  chosen.forEach(add);
  fieldset.querySelector("legend").after(list, hint, picker.element);
  fieldset.classList.add("byline-enhanced");
}

/** Tags: chips, with the newsroom's existing tags offered first. */
export function tagChips(form) {
  const field = form.querySelector("#tags");
  if (!field) return;
  const chips = el("ul", { class: "tag-chips", "aria-label": "Tags" });
  const names = () => field.value.split(",").map((t) => t.trim()).filter(Boolean);
  const write = (list) => {
    field.value = list.join(", ");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const render = () => {
    chips.replaceChildren(...names().map((name) => {
      const remove = el("button", { type: "button", class: "chip-remove", "aria-label": `Remove tag ${name}` }, "×");
      remove.addEventListener("click", () => {
        write(names().filter((n) => n !== name));
        render();
        announce(`Tag ${name} removed.`);
        picker.input.focus();
      });
      return el("li", { class: "chip" }, el("span", {}, name), remove);
    }));
  };
  const picker = combobox({
    label: "Add a tag",
    placeholder: "Type to find a tag",
    allowFree: true,
    firstByDefault: false,
    suggest: async (text) => {
      const have = new Set(names().map(normalise));
      let existing = [];
      try {
        const response = await fetch(`/newsroom/tags?${new URLSearchParams({ q: text })}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        existing = (await response.json()).tags || [];
      } catch {
        existing = [];
      }
      const options = existing
        .filter((t) => !have.has(normalise(t.name)))
        .map((t) => ({ value: t.name, label: t.name, note: `(${t.articles} ${t.articles === 1 ? "story" : "stories"})` }));
      if (text && !have.has(normalise(text)) && !existing.some((t) => normalise(t.name) === normalise(text))) {
        options.push({ value: text, label: `New tag “${text}”` });
      }
      return options.slice(0, 10);
    },
    pick: (option) => {
      const list = names();
      if (!list.some((n) => normalise(n) === normalise(option.value))) list.push(option.value);
      write(list);
      render();
      announce(`Tag ${option.value} added.`);
    },
  });
  const row = field.closest("p");
  row.classList.add("tags-source");
  row.hidden = true;
  row.after(el("div", { class: "tags-field" }, el("p", { class: "tags-label", id: "tags-label" }, "Tags"), chips, picker.element));
  render();
}
