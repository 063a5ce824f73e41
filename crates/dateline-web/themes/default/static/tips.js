// Tip form enhancement: before anything is uploaded, show what metadata a JPEG carries (where it
// was taken, which camera) and offer to remove it here in the browser by redrawing the picture.
// The form works the same without this script; nothing leaves the browser until "Send".
(function () {
  "use strict";
  var form = document.querySelector("[data-tips-form]");
  var input = document.getElementById("tip-attachments");
  var panel = document.querySelector("[data-tips-metadata]");
  if (!form) return;

  // Proof of work: a nonce whose SHA-256 with the form token starts with N zero bits, so that a
  // tipster behind a busy shared address (a Tor exit) still gets through. Without WebCrypto
  // (plain HTTP off localhost) the form is sent as it is.
  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      return bits + Math.clz32(bytes[i]) - 24;
    }
    return bits;
  }

  async function solve(token, wanted) {
    var encoder = new TextEncoder();
    for (var nonce = 0; ; nonce++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(token + ":" + nonce));
      if (zeroBits(new Uint8Array(digest)) >= wanted) return String(nonce);
    }
  }

  // The form token travels in the form's URL, so the server checks it (and the proof) before
  // it reads the body; the proof goes there too.
  var status = form.querySelector("[data-tips-status]");
  var wanted = Number(form.getAttribute("data-pow-bits"));
  var maxFiles = Number(input && input.getAttribute("data-max-files")) || 5;
  var maxBytes = Number(form.getAttribute("data-max-bytes")) || 0;
  var target = new URL(form.getAttribute("action"), window.location.href);
  var token = target.searchParams.get("token");
  var solved = false;

  // Files the server would refuse are named here, before anything is sent, so nothing typed or
  // chosen is lost.
  function fileProblem() {
    if (!input || !input.files) return "";
    if (input.files.length > maxFiles) return "Attach at most " + maxFiles + " files.";
    for (var i = 0; i < input.files.length; i++) {
      if (maxBytes && input.files[i].size > maxBytes) {
        return "\u201c" + input.files[i].name + "\u201d is larger than 25 MB.";
      }
    }
    return "";
  }

  form.addEventListener("submit", function (event) {
    var problem = fileProblem();
    if (problem) {
      event.preventDefault();
      if (status) status.textContent = problem;
      if (input) input.focus();
      return;
    }
    if (solved || !token || !(wanted > 0) || !window.crypto || !crypto.subtle) return;
    event.preventDefault();
    if (status) status.textContent = "Preparing your tip for sending\u2026";
    solve(token, wanted).then(function (nonce) {
      solved = true;
      target.searchParams.set("pow", nonce);
      form.setAttribute("action", target.pathname + target.search);
      if (status) status.textContent = "Sending\u2026";
      form.submit();
    });
  });

  if (!input || !panel || !window.DataTransfer) return;

  // Reads the EXIF tags we warn about from a JPEG's APP1 segment (TIFF layout, either byte order).
  function exifSummary(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
    var offset = 2;
    while (offset + 4 < view.byteLength) {
      var marker = view.getUint16(offset);
      var length = view.getUint16(offset + 2);
      if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966) {
        return readTiff(view, offset + 10);
      }
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) break;
      offset += 2 + length;
    }
    return null;
  }

  function readTiff(view, start) {
    var little = view.getUint16(start) === 0x4949;
    var u16 = function (at) { return view.getUint16(start + at, little); };
    var u32 = function (at) { return view.getUint32(start + at, little); };
    var ascii = function (entry) {
      var count = u32(entry + 4);
      var at = count > 4 ? u32(entry + 8) : entry + 8;
      var text = "";
      for (var i = 0; i < count - 1 && start + at + i < view.byteLength; i++) {
        text += String.fromCharCode(view.getUint8(start + at + i));
      }
      return text.trim();
    };
    var found = { camera: [], gps: false, date: "" };
    var ifd = u32(4);
    var entries = u16(ifd);
    for (var i = 0; i < entries; i++) {
      var entry = ifd + 2 + i * 12;
      var tag = u16(entry);
      if (tag === 0x010f || tag === 0x0110) found.camera.push(ascii(entry));
      if (tag === 0x0132) found.date = ascii(entry);
      if (tag === 0x8825 && u16(u32(entry + 8)) > 0) found.gps = true;
    }
    return found;
  }

  function stripped(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var picture = new Image();
      picture.onload = function () {
        var canvas = document.createElement("canvas");
        canvas.width = picture.naturalWidth;
        canvas.height = picture.naturalHeight;
        canvas.getContext("2d").drawImage(picture, 0, 0);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          if (!blob) return reject(new Error("could not re-encode"));
          resolve(new File([blob], file.name, { type: "image/jpeg" }));
        }, "image/jpeg", 0.92);
      };
      picture.onerror = reject;
      picture.src = url;
    });
  }

  function show(findings) {
    panel.textContent = "";
    if (!findings.length) { panel.hidden = true; return; }
    var heading = document.createElement("p");
    heading.textContent = "Some pictures carry hidden details that could identify you:";
    var list = document.createElement("ul");
    findings.forEach(function (f) {
      var item = document.createElement("li");
      var parts = [];
      if (f.exif.gps) parts.push("the location where it was taken (GPS)");
      if (f.exif.camera.length) parts.push("the camera: " + f.exif.camera.join(" "));
      if (f.exif.date) parts.push("the time: " + f.exif.date);
      item.textContent = f.file.name + ": " + parts.join("; ");
      list.appendChild(item);
    });
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Remove these details from the pictures";
    button.addEventListener("click", function () {
      button.disabled = true;
      Promise.all(Array.prototype.map.call(input.files, function (file) {
        var flagged = findings.some(function (f) { return f.file === file; });
        return flagged ? stripped(file) : Promise.resolve(file);
      })).then(function (files) {
        var transfer = new DataTransfer();
        files.forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
        panel.textContent = "The details were removed. The pictures will be sent without them.";
      }, function () {
        button.disabled = false;
        panel.appendChild(document.createTextNode(" Removing failed; you can still send the originals."));
      });
    });
    panel.appendChild(heading);
    panel.appendChild(list);
    panel.appendChild(button);
    panel.hidden = false;
  }

  input.addEventListener("change", function () {
    var jpegs = Array.prototype.filter.call(input.files, function (file) {
      return /\.jpe?g$/i.test(file.name) || file.type === "image/jpeg";
    });
    Promise.all(jpegs.map(function (file) {
      return file.arrayBuffer().then(function (buffer) {
        var exif = exifSummary(buffer);
        return exif && (exif.gps || exif.camera.length || exif.date) ? { file: file, exif: exif } : null;
      });
    })).then(function (results) { show(results.filter(Boolean)); });
  });
})();
