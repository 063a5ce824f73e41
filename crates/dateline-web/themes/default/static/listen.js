// "Listen to this article": the newsroom's controls over the page's <audio> element, the
// sentence being read highlighted in the text (CSS Custom Highlight API), Media Session
// metadata, and the place the reader stopped kept in localStorage. Nothing is fetched until
// the reader presses play.
(function () {
  "use strict";
  var section = document.querySelector(".listen");
  if (!section) return;
  var audio = section.querySelector(".listen-audio");
  if (!audio || typeof audio.play !== "function") return;

  var SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];
  var SKIP = 15;
  var storageKey = "dateline-listen:" + location.pathname;
  var total = Number(section.getAttribute("data-seconds")) || 0;

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }
  function spoken(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return (m ? m + (m === 1 ? " minute " : " minutes ") : "") + s + (s === 1 ? " second" : " seconds");
  }
  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) node.textContent = text;
    return node;
  }

  // The controls: real buttons, a range input and a select, so keyboards and screen readers
  // get their native behaviour.
  var controls = element("div", { "class": "listen-controls", role: "group", "aria-label": "Audio player" });
  // Visible text is the accessible name (WCAG 2.5.3), so voice control users can say it.
  var back = element("button", { type: "button", "class": "listen-back" }, "Back 15 s");
  var play = element("button", { type: "button", "class": "listen-play", "aria-pressed": "false" }, "Play");
  var forward = element("button", { type: "button", "class": "listen-forward" }, "Ahead 15 s");
  var scrub = element("input", {
    type: "range", "class": "listen-scrub", min: "0", max: String(total || 1), step: "1", value: "0",
    "aria-label": "Position in the audio"
  });
  var time = element("span", { "class": "listen-time", "aria-hidden": "true" }, "0:00 / " + clock(total));
  var speedId = "listen-speed-" + Math.random().toString(36).slice(2);
  var speedLabel = element("label", { "for": speedId, "class": "listen-speed-label" }, "Speed");
  var speed = element("select", { id: speedId, "class": "listen-speed" });
  SPEEDS.forEach(function (rate) {
    var option = element("option", { value: String(rate) }, rate + "×");
    if (rate === 1) option.selected = true;
    speed.appendChild(option);
  });
  [back, play, forward, scrub, time, speedLabel, speed].forEach(function (node) { controls.appendChild(node); });
  audio.removeAttribute("controls");
  audio.hidden = true;
  audio.insertAdjacentElement("afterend", controls);

  var saved = 0;
  try { saved = Number(localStorage.getItem(storageKey)) || 0; } catch (e) { saved = 0; }
  if (saved > 0 && (!total || saved < total - 5)) {
    scrub.value = String(Math.floor(saved));
    time.textContent = clock(saved) + " / " + clock(total);
  } else {
    saved = 0;
  }

  function showPosition() {
    var duration = isFinite(audio.duration) && audio.duration > 0 ? audio.duration : total;
    scrub.max = String(Math.max(1, Math.round(duration)));
    scrub.value = String(Math.floor(audio.currentTime));
    scrub.setAttribute("aria-valuetext", spoken(audio.currentTime) + " of " + spoken(duration));
    time.textContent = clock(audio.currentTime) + " / " + clock(duration);
  }
  function remember() {
    try {
      if (audio.ended) localStorage.removeItem(storageKey);
      else localStorage.setItem(storageKey, String(Math.floor(audio.currentTime)));
    } catch (e) { /* private browsing: no resume, nothing else lost */ }
  }

  // Sentence highlighting: ranges over the headline, standfirst and body text, matched to the
  // timings word by word (the spoken text may spell numbers out, so matching is tolerant).
  var sentences = null;
  var current = -1;
  var highlights = typeof CSS !== "undefined" && CSS.highlights && typeof Highlight === "function";

  function words(text) {
    return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);
  }
  function textTokens() {
    var roots = document.querySelectorAll(".article .headline, .article .standfirst, .article .article-body");
    var tokens = [];
    Array.prototype.forEach.call(roots, function (root) {
      var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        var pattern = /[\p{L}\p{N}]+/gu, match;
        while ((match = pattern.exec(node.data))) {
          tokens.push({ word: match[0].toLowerCase(), node: node, start: match.index, end: match.index + match[0].length });
        }
      }
    });
    return tokens;
  }
  function locate(timings) {
    var tokens = textTokens();
    var cursor = 0;
    return timings.sentences.map(function (sentence) {
      var spokenWords = words(sentence.text);
      if (!spokenWords.length) return { start: sentence.start, end: sentence.end, range: null };
      var first = -1;
      for (var i = cursor; i < tokens.length && i < cursor + 60; i++) {
        if (tokens[i].word === spokenWords[0]) { first = i; break; }
      }
      if (first < 0) return { start: sentence.start, end: sentence.end, range: null };
      var last = first, t = first + 1;
      for (var w = 1; w < spokenWords.length && t < tokens.length; w++) {
        for (var look = t; look < tokens.length && look < t + 4; look++) {
          if (tokens[look].word === spokenWords[w]) { last = look; t = look + 1; break; }
        }
      }
      cursor = last + 1;
      var range = document.createRange();
      range.setStart(tokens[first].node, tokens[first].start);
      range.setEnd(tokens[last].node, tokens[last].end);
      return { start: sentence.start, end: sentence.end, range: range };
    });
  }
  function loadTimings() {
    if (sentences || !window.fetch) return;
    sentences = [];
    fetch(section.getAttribute("data-timings"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (timings) { if (timings && timings.sentences) sentences = locate(timings); highlight(); })
      .catch(function () { sentences = []; });
  }
  function highlight() {
    if (!sentences || !sentences.length) return;
    var now = audio.currentTime, index = -1;
    for (var i = 0; i < sentences.length; i++) {
      if (sentences[i].start <= now + 0.05) index = i; else break;
    }
    if (index === current) return;
    current = index;
    section.setAttribute("data-sentence", String(index));
    if (!highlights) return;
    var range = index >= 0 && sentences[index].range;
    if (range && !audio.paused) CSS.highlights.set("listen-sentence", new Highlight(range));
    else CSS.highlights.delete("listen-sentence");
  }

  function mediaSession() {
    if (!("mediaSession" in navigator) || typeof MediaMetadata !== "function") return;
    var headline = document.querySelector(".article .headline");
    var site = document.querySelector(".site-name");
    var hero = document.querySelector(".article .hero img");
    navigator.mediaSession.metadata = new MediaMetadata({
      title: headline ? headline.textContent.trim() : document.title,
      artist: site ? site.textContent.trim() : "",
      artwork: hero && hero.currentSrc ? [{ src: hero.currentSrc }] : []
    });
    var handlers = {
      play: function () { audio.play(); },
      pause: function () { audio.pause(); },
      seekbackward: function () { skip(-SKIP); },
      seekforward: function () { skip(SKIP); },
      seekto: function (details) { if (details.seekTime != null) audio.currentTime = details.seekTime; }
    };
    Object.keys(handlers).forEach(function (action) {
      try { navigator.mediaSession.setActionHandler(action, handlers[action]); } catch (e) { /* unsupported action */ }
    });
  }

  function skip(seconds) {
    var duration = isFinite(audio.duration) ? audio.duration : total;
    audio.currentTime = Math.min(Math.max(0, audio.currentTime + seconds), duration || 0);
    showPosition();
    highlight();
  }

  var started = false;
  function start() {
    if (!started) {
      started = true;
      if (saved > 0) audio.currentTime = saved;
      audio.playbackRate = Number(speed.value);
      loadTimings();
      mediaSession();
    }
    return audio.play();
  }

  play.addEventListener("click", function () {
    if (audio.paused) {
      var playing = start();
      if (playing && playing.catch) playing.catch(function () { /* the reader can press again */ });
    } else {
      audio.pause();
    }
  });
  back.addEventListener("click", function () { skip(-SKIP); });
  forward.addEventListener("click", function () { skip(SKIP); });
  scrub.addEventListener("input", function () {
    if (!started) { saved = Number(scrub.value); time.textContent = clock(saved) + " / " + clock(total); return; }
    audio.currentTime = Number(scrub.value);
    highlight();
  });
  speed.addEventListener("change", function () { audio.playbackRate = Number(speed.value); });
  audio.addEventListener("play", function () { play.textContent = "Pause"; play.setAttribute("aria-pressed", "true"); highlight(); });
  audio.addEventListener("pause", function () {
    play.textContent = "Play"; play.setAttribute("aria-pressed", "false");
    if (highlights) CSS.highlights.delete("listen-sentence");
    current = -1;
    remember();
  });
  audio.addEventListener("timeupdate", function () { showPosition(); highlight(); });
  audio.addEventListener("loadedmetadata", showPosition);
  audio.addEventListener("ended", function () { remember(); });
  window.addEventListener("pagehide", remember);
})();
