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
