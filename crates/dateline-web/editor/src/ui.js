// Small DOM helpers shared by the editor's parts. Everything is built with DOM calls (never
// inline style or HTML strings), as the newsroom's CSP requires.

/** `el("button", { type: "button" }, "Save")`: an element with attributes and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "hidden") node.hidden = !!value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let dialogs = 0;

/**
 * A modal form in a <dialog> (focus stays inside; Escape closes). `fields` are
 * `{ name, label, type, value, required, hint, multiline }`; `onSubmit(values, dialog)` returns an
 * error map `{ field: message }`, a promise of one, or null to close.
 */
export function modal({ title, intro, fields = [], submit = "OK", onSubmit, onClose, extra }) {
  const id = `dialog-${++dialogs}`;
  const dialog = el("dialog", { class: "editor-dialog", "aria-labelledby": `${id}-title` });
  const form = el("form", { method: "dialog", novalidate: true });
  form.append(el("h2", { id: `${id}-title` }, title));
  if (intro) form.append(intro instanceof Node ? intro : el("p", {}, intro));
  const inputs = {};
  for (const field of fields) {
    const inputId = `${id}-${field.name}`;
    const hintId = field.hint ? `${inputId}-hint` : null;
    const input = field.multiline
      ? el("textarea", { id: inputId, name: field.name, rows: 2, "aria-describedby": hintId })
      : el("input", { id: inputId, name: field.name, type: field.type || "text", "aria-describedby": hintId, autocomplete: "off" });
    input.value = field.value || "";
    if (field.required) input.required = true;
    const error = el("span", { class: "field-error", id: `${inputId}-error`, hidden: true });
    const row = el("p", {},
      el("label", { for: inputId }, field.label, field.required ? el("span", { class: "required" }, " (required)") : null),
      input,
      hintId ? el("span", { class: "field-hint", id: hintId }, field.hint) : null,
      error);
    inputs[field.name] = { input, error };
    form.append(row);
  }
  if (extra) form.append(extra);
  const status = el("p", { class: "dialog-status", role: "status" });
  const ok = el("button", { type: "submit", value: "ok" }, submit);
  const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
  form.append(status, el("p", { class: "dialog-buttons" }, ok, " ", cancel));
  dialog.append(form);
  (document.querySelector("main") || document.body).append(dialog);

  const close = () => {
    dialog.close();
    dialog.remove();
    onClose?.();
  };
  cancel.addEventListener("click", close);
  dialog.addEventListener("cancel", (e) => {
    e.preventDefault();
    close();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.input.value]));
    const missing = fields.filter((f) => f.required && !values[f.name].trim());
    const showErrors = (errors) => {
      let first = null;
      for (const [name, { input, error }] of Object.entries(inputs)) {
        const message = errors[name];
        error.hidden = !message;
        error.textContent = message || "";
        if (message) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), error.id].filter(Boolean).join(" "));
          first ??= input;
        } else {
          input.removeAttribute("aria-invalid");
        }
      }
      if (errors.form) status.textContent = errors.form;
      first?.focus();
    };
    if (missing.length) {
      showErrors(Object.fromEntries(missing.map((f) => [f.name, f.requiredMessage || `${f.label} is required.`])));
      return;
    }
    ok.disabled = true;
    try {
      const errors = await onSubmit(values, { status, dialog });
      if (errors && Object.keys(errors).length) {
        showErrors(errors);
      } else {
        close();
      }
    } finally {
      ok.disabled = false;
    }
  });
  dialog.showModal();
  const first = Object.values(inputs)[0];
  (first ? first.input : ok).focus();
  return { dialog, close, status };
}

/** Announces `text` to screen readers through the page's polite live region. */
export function announce(text) {
  let region = document.getElementById("editor-announce");
  if (!region) {
    region = el("p", { id: "editor-announce", class: "visually-hidden", role: "status", "aria-live": "polite" });
    (document.querySelector("main") || document.body).append(region);
  }
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}

/** The form's token for fetch calls (the server checks it as X-CSRF-Token). */
export function csrfToken(form) {
  return form.querySelector('input[name="csrf"]').value;
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.now = (...args) => {
    clearTimeout(timer);
    fn(...args);
  };
  return wrapped;
}
