// The editor's enhancements; the form works fully without them.
// Preview-as-you-type: the body is sent to the server, which renders it exactly as the article
// page does. Autosave: a changed draft is saved every 20 seconds under the same version lock as
// the Save button; a conflict stops autosaving and says so instead of overwriting anything.
(function () {
  "use strict";
  var form = document.querySelector("form.article-form");
  if (!form || !window.fetch) return;
  var token = form.querySelector('input[name="csrf"]').value;
  var body = form.querySelector("#body");
  var status = form.querySelector(".autosave-status");
  var previewBox = document.getElementById("live-preview");

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded" },
      body: data,
    });
  }

  if (body && previewBox) {
    previewBox.parentElement.hidden = false;
    var timer = null;
    var refresh = function () {
      post("/newsroom/articles/preview-body", new URLSearchParams({ body: body.value }))
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          // The server's Markdown renderer sanitises; this is the same HTML the page gets.
          var doc = new DOMParser().parseFromString(html, "text/html");
          previewBox.replaceChildren.apply(previewBox, Array.prototype.slice.call(doc.body.childNodes));
        })
        .catch(function () {});
    };
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    });
    refresh();
  }

  if (form.dataset.autosave !== "on" || !status) return;
  var version = form.querySelector('input[name="expected_version"]');
  var snapshot = function () { return new URLSearchParams(new FormData(form)).toString(); };
  var last = snapshot();
  var stopped = false;
  setInterval(function () {
    if (stopped) return;
    var now = snapshot();
    if (now === last) return;
    var data = new URLSearchParams(new FormData(form));
    data.set("intent", "autosave");
    post(form.action, data).then(function (r) {
      return r.json().then(function (answer) { return { code: r.status, answer: answer }; });
    }).then(function (result) {
      if (result.code === 200) {
        version.value = String(result.answer.version);
        // The new version is part of the form now; only later typing counts as a change.
        last = snapshot();
        status.textContent = "Saved at " + result.answer.saved_at;
      } else if (result.code === 409) {
        stopped = true;
        status.textContent = "Not saved: someone else saved this article. Press Save to see both versions.";
      } else {
        status.textContent = "Not saved automatically: check the form and press Save.";
      }
    }).catch(function () {
      status.textContent = "Not saved automatically: the newsroom could not be reached.";
    });
  }, 20000);
})();
