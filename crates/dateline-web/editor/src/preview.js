// Side by side: the story as readers will see it, rendered by the public article template through
// the form's own preview (nothing is saved), beside the editor on wide screens. And the search
// result and social card the story's real metadata makes.

import { el, debounce } from "./ui.js";

/** Posts the form with intent=preview and shows the article part of the page the server renders. */
export function livePreview(form, pane) {
  const box = pane.querySelector("#live-preview");
  const status = pane.querySelector(".live-preview-status");
  let inFlight = null;
  const refresh = debounce(async () => {
    const data = new FormData(form);
    data.set("intent", "preview");
    inFlight?.abort();
    inFlight = new AbortController();
    try {
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        body: new URLSearchParams(data),
        signal: inFlight.signal,
      });
      if (!response.ok) {
        status.textContent = `Preview not updated (HTTP ${response.status}).`;
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const article = page.querySelector("main article") || page.querySelector("main");
      if (!article) return;
      // The page's scripts and forms are not the preview's: only what a reader sees is shown.
      article.querySelectorAll("script, form, .preview-banner, .discussion, .tip-box, .share, .listen, .more-in-section, .related, aside").forEach((n) => n.remove());
      // Ids and references to them belong to the page the preview came from, not to this one.
      article.querySelectorAll("[id], [aria-labelledby], [aria-describedby]").forEach((n) => {
        n.removeAttribute("id");
        n.removeAttribute("aria-labelledby");
        n.removeAttribute("aria-describedby");
      });
      const h1 = article.querySelector("h1");
      if (h1) {
        const replacement = el("p", { class: h1.className + " preview-headline" });
        replacement.append(...h1.childNodes);
        h1.replaceWith(replacement);
      }
      box.replaceChildren(...article.childNodes);
      status.textContent = `Updated ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
    } catch (error) {
      if (error.name !== "AbortError") status.textContent = "Preview not updated: the newsroom could not be reached.";
    }
  }, 700);
  pane.hidden = false;
  form.addEventListener("input", () => refresh());
  form.addEventListener("change", () => refresh());
  refresh.now();
  return refresh;
}

function sectionSlug(form) {
  const option = form.querySelector("#section_id")?.selectedOptions[0];
  return option?.dataset.slug || "section";
}

function slugify(text) {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
}

/** The search result and the social card, from the fields as typed. */
export function metadataPreview(form, container) {
  const site = form.dataset.siteName || "";
  const base = (form.dataset.baseUrl || location.origin).replace(/\/+$/, "");
  let hero = null;
  const serpTitle = el("p", { class: "serp-title" });
  const serpUrl = el("p", { class: "serp-url" });
  const serpText = el("p", { class: "serp-text" });
  const cardImage = el("div", { class: "card-image" });
  const cardDomain = el("p", { class: "card-domain" });
  const cardTitle = el("p", { class: "card-title" });
  const cardText = el("p", { class: "card-text" });
  container.append(
    el("div", { class: "serp", role: "group", "aria-label": "Search result" }, el("p", { class: "meta-kind" }, "Search result"), serpUrl, serpTitle, serpText),
    el("div", { class: "social-card", role: "group", "aria-label": "Social card" }, el("p", { class: "meta-kind" }, "Social card"), cardImage, el("div", { class: "card-words" }, cardDomain, cardTitle, cardText)));
  const update = () => {
    const headline = form.querySelector("#headline").value.trim() || "Headline";
    const standfirst = form.querySelector("#standfirst").value.trim();
    const slug = form.querySelector("#slug").value.trim() || slugify(headline);
    const url = `${base}/${sectionSlug(form)}/${slug}`;
    const title = site ? `${headline} – ${site}` : headline;
    serpTitle.textContent = title.length > 60 ? `${title.slice(0, 58).trimEnd()}…` : title;
    serpUrl.textContent = url.replace(/^https?:\/\//, "").replace(/\//g, " › ");
    serpText.textContent = standfirst.length > 160 ? `${standfirst.slice(0, 157).trimEnd()}…` : (standfirst || "No standfirst: Google picks a snippet from the text.");
    cardDomain.textContent = new URL(base).host.toUpperCase();
    cardTitle.textContent = headline;
    cardText.textContent = standfirst.length > 120 ? `${standfirst.slice(0, 117).trimEnd()}…` : standfirst;
    cardImage.replaceChildren(hero
      ? el("img", { src: hero.thumbnail, alt: "", width: 320, height: 168 })
      : el("p", { class: "card-no-image" }, "No hero image: the site logo is shown"));
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("hero-change", (e) => {
    hero = e.detail;
    update();
  });
  update();
}
