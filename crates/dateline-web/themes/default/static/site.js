/* Dateline: progressive enhancement for the share block (copy link, Web Share).
   Loaded with `defer`; everything works without it. No inline handlers (strict CSP). */
(function () {
  "use strict";

  var clearTimer;

  function announce(block, message) {
    var status = block && block.querySelector(".share-status");
    if (!status) return;
    // Clear first so that repeating the same message is announced again.
    status.textContent = "";
    window.clearTimeout(clearTimer);
    window.setTimeout(function () {
      status.textContent = message;
      clearTimer = window.setTimeout(function () { status.textContent = ""; }, 5000);
    }, 60);
  }

  function fallbackCopy(text) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.className = "visually-hidden";
    document.body.appendChild(field);
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(field);
    return ok;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return fallbackCopy(text); }
      );
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function urlOf(button) {
    return button.getAttribute("data-url") || window.location.href;
  }

  function init() {
    var canCopy = !!(navigator.clipboard && window.isSecureContext) ||
      (typeof document.queryCommandSupported === "function" && document.queryCommandSupported("copy"));

    Array.prototype.forEach.call(document.querySelectorAll(".share-copy"), function (button) {
      if (!canCopy) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var block = button.closest(".share");
        copy(urlOf(button)).then(function (ok) {
          announce(block, ok ? "Link copied" : "Could not copy the link");
        });
      });
    });

    if (typeof navigator.share !== "function") return;
    Array.prototype.forEach.call(document.querySelectorAll(".share-native"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var data = { url: urlOf(button) };
        var title = button.getAttribute("data-title");
        if (title) data.title = title;
        navigator.share(data).catch(function () { /* dismissed or unavailable: nothing to do */ });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

/* Dateline: the discussion, enhanced. Without JavaScript every part works through plain forms and
   links; with it, a comment posts without leaving the page, and new comments are announced as
   "N new comments — show" (server-sent events) instead of moving the page under the reader. */
(function () {
  "use strict";

  function liveCount(section) {
    if (typeof window.EventSource !== "function") return;
    var notice = section.querySelector(".comment-live");
    var link = notice && notice.querySelector("a");
    if (!link) return;
    notice.setAttribute("role", "status");
    var source = new EventSource(section.getAttribute("data-live-count"));
    source.addEventListener("count", function (event) {
      var count = parseInt(event.data, 10) || 0;
      if (count < 1) return;
      link.textContent = count === 1 ? "1 new comment — show" : count + " new comments — show";
      notice.hidden = false;
    });
    source.addEventListener("error", function () {
      // The browser retries on its own; a closed page or server just stops the updates.
    });
  }

  function replaceFrom(doc, selector) {
    var fresh = doc.querySelector(selector);
    var current = document.querySelector(selector);
    if (fresh && current) current.replaceWith(fresh);
  }

  function livePost(form) {
    var status = form.querySelector(".comment-form-status");
    var field = form.querySelector("textarea");
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.URLSearchParams || !window.FormData) return;
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: new URLSearchParams(new FormData(form))
      }).then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      }).then(function (result) {
        if (!result.ok) {
          status.textContent = result.answer.error || "Your comment could not be posted. Try again.";
          if (field) {
            field.setAttribute("aria-invalid", "true");
            field.focus();
          }
          return;
        }
        status.textContent = result.answer.message;
        if (field) {
          field.value = "";
          field.removeAttribute("aria-invalid");
        }
        // Show the discussion as the server renders it now (already sanitised there).
        return fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            replaceFrom(doc, ".discussion .comment-list");
            replaceFrom(doc, ".own-comments");
          });
      }).catch(function () {
        status.textContent = "Your comment could not be sent: check your connection and try again.";
      }).then(function () {
        if (button) button.disabled = false;
      });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-count]"), liveCount);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-live-post]"), livePost);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

/* Dateline: live coverage, enhanced. Without JavaScript the page has pages and a refresh link;
   with it, the page listens to its event stream and announces "N new updates — show" rather than
   moving the text under the reader. "Show" fetches the new entries' fragment (cached like the
   page) and puts it above the stream. The live desk does the same for a colleague's entries
   ("1 new entry — show"), so the desk is never reloaded under a journalist who is typing. */
(function () {
  "use strict";

  function supported() {
    return typeof window.EventSource === "function" && !!window.fetch && !!window.DOMParser;
  }

  // Listens to `url` and shows `button` with `label(count)` whenever the stream names entries the
  // page does not show yet. The event names the entries newer than the page as served (newest
  // first); those already shown are not new any more. Returns a function that hides the button.
  function announceNew(url, button, label) {
    var waiting = 0;
    var source = new EventSource(url);
    source.addEventListener("entries", function (event) {
      var count = event.data.split(",").filter(function (id) {
        return /^\d+$/.test(id) && !document.getElementById("entry-" + id);
      }).length;
      if (count < 1 || count === waiting) return;
      waiting = count;
      button.textContent = label(count);
      button.hidden = false;
    });
    source.addEventListener("ended", function () {
      source.close();
    });
    return function shown() {
      waiting = 0;
      button.hidden = true;
    };
  }

  // Fetches `address`, finds `selector` in it and hands its children to `place`; the button
  // says `failure` if that does not work.
  function showFrom(button, address, credentials, selector, place, failure) {
    button.disabled = true;
    fetch(address(), { credentials: credentials })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
        if (fresh) place(fresh);
      })
      .catch(function () {
        button.textContent = failure;
      })
      .then(function () { button.disabled = false; });
  }

  function focusOn(item) {
    if (item && item.focus) {
      item.setAttribute("tabindex", "-1");
      item.focus();
    }
  }

  function liveEntries(section) {
    if (!supported()) return;
    var button = section.querySelector(".live-show");
    var list = section.querySelector(".live-entries");
    if (!button || !list) return;
    var afterUrl = section.getAttribute("data-live-after");
    var shown = announceNew(section.getAttribute("data-live-events"), button, function (count) {
      return count === 1 ? "1 new update — show" : count + " new updates — show";
    });
    button.addEventListener("click", function () {
      showFrom(button, function () { return afterUrl; }, "omit", ".live-entries", function (fresh) {
        var items = Array.prototype.slice.call(fresh.children);
        // New entries go on top of the stream, below the pinned ones; oldest first, each
        // above the one before.
        var top = list.querySelector(":scope > li:not(.live-entry--pinned)");
        for (var i = items.length - 1; i >= 0; i--) {
          if (!document.getElementById(items[i].id)) {
            list.insertBefore(items[i], top);
            top = items[i];
          }
        }
        var newest = fresh.getAttribute("data-newest");
        if (newest) afterUrl = afterUrl.replace(/\/\d+$/, "/" + newest);
        shown();
        focusOn(items[0]);
      }, "The new updates could not be loaded: refresh the page.");
    });
  }

  function liveDesk(section) {
    if (!supported()) return;
    var list = section.querySelector(".live-desk-list");
    if (!list) return;
    var status = document.createElement("p");
    status.className = "live-desk-status";
    status.setAttribute("role", "status");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "live-desk-show";
    button.hidden = true;
    status.appendChild(button);
    list.parentNode.insertBefore(status, list);
    var shown = announceNew(section.getAttribute("data-live-desk"), button, function (count) {
      return count === 1 ? "1 new entry — show" : count + " new entries — show";
    });
    button.addEventListener("click", function () {
      var here = function () { return window.location.pathname + window.location.search; };
      showFrom(button, here, "same-origin", ".live-desk-list", function (fresh) {
        // Newest first, as the desk lists them, all above the entries already shown, each with
        // its edit forms.
        var added = Array.prototype.filter.call(fresh.children, function (item) {
          return item.id && !document.getElementById(item.id);
        });
        var top = list.firstElementChild;
        added.forEach(function (item) {
          list.insertBefore(document.importNode(item, true), top);
        });
        shown();
        focusOn(added.length && document.getElementById(added[0].id));
      }, "The new entries could not be loaded: use Refresh.");
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-events]"), liveEntries);
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-desk]"), liveDesk);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
