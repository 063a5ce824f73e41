// Nothing typed is lost: every change is kept in this browser at once (localStorage), and a
// changed draft is saved to the newsroom a few seconds after the writer pauses, under the same
// version lock as the Save button (a conflict stops autosaving and says so; nothing is
// overwritten). The status line says which of those holds: "Saved 10:42", "Offline: kept in this
// browser".

import { el } from "./ui.js";

const PAUSE_MS = 4000;
const AT_LEAST_EVERY_MS = 20000;

function time(date = new Date()) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The form's fields as posted, without the token (it is the session's, not the story's). */
export function snapshot(form) {
  const data = new URLSearchParams(new FormData(form));
  data.delete("csrf");
  data.delete("intent");
  return data.toString();
}

const SUBMITTED = "dateline:submitted";

export function autosave(form, { surface, status }) {
  const key = `dateline:unsaved:${form.getAttribute("action")}`;
  // The server said "saved" (the page after a successful Save): what this browser kept for the
  // form that was sent is in the database now.
  try {
    const sent = sessionStorage.getItem(SUBMITTED);
    if (sent && new URLSearchParams(location.search).get("saved") === "1") localStorage.removeItem(sent);
    sessionStorage.removeItem(SUBMITTED);
  } catch {
    // No storage: nothing was kept either.
  }
  const version = form.querySelector('input[name="expected_version"]');
  const serverAutosave = form.dataset.autosave === "on";
  let saved = snapshot(form);
  let stopped = false;
  let inFlight = null;
  let pauseTimer = null;
  let firstUnsaved = 0;
  const waiting = [];

  const say = (text, tone = "") => {
    status.textContent = text;
    status.dataset.tone = tone;
  };

  const keep = () => {
    const now = snapshot(form);
    try {
      if (now === saved) {
        localStorage.removeItem(key);
      } else {
        localStorage.setItem(key, JSON.stringify({ fields: now, version: version?.value || "", at: Date.now() }));
      }
    } catch {
      // Storage full or disabled: the server autosave still runs.
    }
    return now;
  };

  const save = async () => {
    clearTimeout(pauseTimer);
    if (stopped || inFlight) return;
    surface?.markdown();
    const now = keep();
    if (now === saved) return;
    if (!serverAutosave) {
      say(`Kept in this browser ${time()}: press Save to update the story.`);
      return;
    }
    if (!navigator.onLine) {
      say("Offline: kept in this browser", "warn");
      return;
    }
    const data = new URLSearchParams(new FormData(form));
    data.set("intent", "autosave");
    inFlight = fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": form.querySelector('input[name="csrf"]').value, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: data,
    });
    try {
      const response = await inFlight;
      const answer = await response.json().catch(() => ({}));
      if (response.status === 200) {
        version.value = String(answer.version);
        // The new version is part of the form now; only later typing counts as a change.
        saved = snapshot(form);
        if (saved === now) {
          try { localStorage.removeItem(key); } catch { /* nothing kept */ }
        } else {
          keep();
        }
        firstUnsaved = 0;
        say(`Saved ${time()}`, "good");
        form.dispatchEvent(new CustomEvent("autosaved", { detail: answer }));
      } else if (response.status === 409) {
        stopped = true;
        say("Not saved: someone else saved this article. Your text is kept in this browser; press Save to see both versions.", "bad");
        form.dispatchEvent(new CustomEvent("conflict", { detail: answer }));
      } else {
        const errors = answer.errors ? Object.values(answer.errors).join(" ") : "";
        say(`Not saved automatically${errors ? `: ${errors}` : ""}. Kept in this browser; check the form and press Save.`, "warn");
      }
    } catch {
      say("Offline: kept in this browser", "warn");
    } finally {
      inFlight = null;
      waiting.splice(0).forEach((fn) => fn());
    }
  };

  const changed = () => {
    keep();
    if (!firstUnsaved) firstUnsaved = Date.now();
    clearTimeout(pauseTimer);
    const due = Math.max(0, Math.min(PAUSE_MS, firstUnsaved + AT_LEAST_EVERY_MS - Date.now()));
    pauseTimer = setTimeout(save, due);
    if (!status.textContent || status.dataset.tone === "good") say("Unsaved changes");
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  surface?.onChange(changed);
  window.addEventListener("online", () => save());
  window.addEventListener("offline", () => say("Offline: kept in this browser", "warn"));
  // A real Save takes over: what it posts is what the server keeps (or shows back on a conflict).
  form.addEventListener("submit", () => {
    clearTimeout(pauseTimer);
    stopped = true;
    keep();
    try { sessionStorage.setItem(SUBMITTED, key); } catch { /* kept in localStorage regardless */ }
  });

  offerRestore(form, key, version, saved);

  return {
    saveNow: save,
    stop() { stopped = true; },
    /** Runs `fn` once no autosave is on its way (so its answer has updated the version). */
    afterInFlight(fn) {
      if (inFlight) waiting.push(fn);
      else fn();
    },
  };
}

/**
 * Text kept in this browser that the server does not have (the tab closed, the network failed):
 * offered back. Restoring posts it with intent=edit, so the server shows the form as typed, with
 * the version it was typed on: saving it over a newer version shows both, never overwrites.
 */
function offerRestore(form, key, version, current) {
  let kept = null;
  try {
    kept = JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    kept = null;
  }
  if (!kept || kept.fields === current) {
    try { localStorage.removeItem(key); } catch { /* nothing kept */ }
    return;
  }
  const restore = el("button", { type: "button" }, "Restore it");
  const discard = el("button", { type: "button", class: "secondary" }, "Discard it");
  const when = new Date(kept.at);
  const older = kept.version && version && kept.version !== version.value;
  const banner = el("div", { class: "editor-banner", role: "alert" },
    el("p", {}, `This browser kept changes from ${when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" })} that were not saved${older ? ", typed on an older version: saving them will show both versions" : ""}.`),
    el("p", {}, restore, " ", discard));
  form.before(banner);
  discard.addEventListener("click", () => {
    try { localStorage.removeItem(key); } catch { /* nothing kept */ }
    banner.remove();
  });
  restore.addEventListener("click", () => {
    const post = el("form", { method: "post", action: form.getAttribute("action"), hidden: true });
    post.append(el("input", { type: "hidden", name: "csrf", value: form.querySelector('input[name="csrf"]').value }));
    for (const [name, value] of new URLSearchParams(kept.fields)) {
      post.append(el("input", { type: "hidden", name, value }));
    }
    post.append(el("input", { type: "hidden", name: "intent", value: "edit" }));
    (document.querySelector("main") || document.body).append(post);
    post.submit();
  });
}
