// Two people, one story: the newsroom tells this tab at once when a colleague opens the same
// article ("Elena Vásquez is editing") or saves it ("Elena Vásquez saved a newer version:
// compare"), over server-sent events. Nobody loses words: autosave stops, and Save then shows
// both versions side by side (the server's version lock).

import { el } from "./ui.js";

export function presence(form, { articleId, autosaver }) {
  if (!articleId || !window.EventSource) return;
  const tab = Math.random().toString(36).slice(2, 12);
  const version = form.querySelector('input[name="expected_version"]');
  const editing = el("p", { class: "presence-editing", role: "status", hidden: true });
  const newer = el("div", { class: "editor-banner presence-newer", role: "alert", hidden: true });
  form.before(editing, newer);

  const source = new EventSource(`/newsroom/articles/${articleId}/presence?tab=${tab}`);
  source.addEventListener("editors", (event) => {
    const others = JSON.parse(event.data).filter((e) => e.tab !== tab);
    const names = [...new Set(others.map((e) => e.name))];
    editing.hidden = names.length === 0;
    editing.textContent = names.length === 0 ? ""
      : names.length === 1 ? `${names[0]} is editing this article too.`
        : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are editing this article too.`;
  });
  source.addEventListener("saved", (event) => {
    const saved = JSON.parse(event.data);
    autosaver.afterInFlight(() => {
      if (saved.version <= +version.value) return;
      autosaver.stop();
      const compare = el("a", {
        href: `/newsroom/articles/${articleId}/revisions?from=${encodeURIComponent(saved.previous_revision || 1)}&to=${encodeURIComponent(saved.revision)}`,
        target: "_blank",
        rel: "noopener",
      }, "compare");
      newer.replaceChildren(
        el("p", {}, el("strong", {}, `${saved.by} saved a newer version`), ` (revision ${saved.revision}, ${new Date(saved.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}): `, compare, "."),
        el("p", {}, "Your text is safe: autosave has stopped, and Save shows both versions so you can merge them."));
      newer.hidden = false;
    });
  });
  window.addEventListener("pagehide", () => source.close());
}
