// Hash the chosen file in the browser (Web Crypto) and send only its SHA-256.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("verify-form");
  var file = document.getElementById("verify-file");
  var field = document.getElementById("verify-sha256");
  if (!form || !file || !field || !window.crypto || !window.crypto.subtle) return;
  form.addEventListener("submit", function (event) {
    if (!file.files || !file.files.length) return;
    event.preventDefault();
    file.files[0].arrayBuffer().then(function (data) {
      return window.crypto.subtle.digest("SHA-256", data);
    }).then(function (digest) {
      field.value = Array.from(new Uint8Array(digest)).map(function (b) {
        return b.toString(16).padStart(2, "0");
      }).join("");
      file.value = "";
      window.location.href = form.getAttribute("action") + "?sha256=" + field.value + "#answer";
    });
  });
});

// Remember the last checkpoint this browser saw and, on the next visit, check with a
// consistency proof (RFC 9162 section 2.1.4.2, verified here) that the log only grew.
(function () {
  function bytes(b64) {
    return Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
  }
  function node(left, right) {
    var data = new Uint8Array(65);
    data[0] = 1;
    data.set(left, 1);
    data.set(right, 33);
    return window.crypto.subtle.digest("SHA-256", data).then(function (d) {
      return new Uint8Array(d);
    });
  }
  function same(a, b) {
    return a.length === b.length && a.every(function (x, i) { return x === b[i]; });
  }
  async function consistent(oldSize, size, oldRoot, root, proof) {
    if (oldSize === size) return proof.length === 0 && same(oldRoot, root);
    var path = proof.slice();
    if ((oldSize & (oldSize - 1)) === 0) path.unshift(oldRoot);
    if (!path.length) return false;
    var fn = oldSize - 1, sn = size - 1;
    while (fn & 1) { fn >>= 1; sn >>= 1; }
    var fr = path[0], sr = path[0];
    for (var i = 1; i < path.length; i++) {
      if (sn === 0) return false;
      if ((fn & 1) || fn === sn) {
        fr = await node(path[i], fr);
        sr = await node(path[i], sr);
        if (!(fn & 1)) { while (fn && !(fn & 1)) { fn >>= 1; sn >>= 1; } }
      } else {
        sr = await node(sr, path[i]);
      }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 && same(fr, oldRoot) && same(sr, root);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var state = document.getElementById("log-state");
    var out = document.getElementById("log-consistency");
    if (!state || !out || !window.crypto || !window.crypto.subtle || !window.localStorage) return;
    var key = "jiandu-log:" + state.dataset.origin;
    var size = parseInt(state.dataset.size, 10), root = state.dataset.root;
    var seen = null;
    try { seen = JSON.parse(window.localStorage.getItem(key)); } catch (e) { seen = null; }
    function say(template, alarm) {
      out.textContent = template.replace("{size}", size).replace("{old}", seen ? seen.size : "");
      out.hidden = false;
      if (alarm) out.classList.add("notice-retracted");
    }
    function remember() {
      window.localStorage.setItem(key, JSON.stringify({ size: size, root: root }));
    }
    if (!seen || !seen.size) {
      if (size) { remember(); say(state.dataset.first, false); }
      return;
    }
    if (seen.size > size) { say(state.dataset.split, true); return; }
    var base = state.dataset.checkpointUrl.replace(/checkpoint$/, "consistency/");
    var request = seen.size === size ? Promise.resolve("") :
      fetch(base + seen.size + "/" + size).then(function (r) {
        if (!r.ok) throw new Error("no proof");
        return r.text();
      });
    request.then(function (text) {
      var proof = text.split("\n").filter(Boolean).map(bytes);
      return consistent(seen.size, size, bytes(seen.root), bytes(root), proof);
    }).then(function (ok) {
      if (ok) { say(state.dataset.ok, false); remember(); } else { say(state.dataset.split, true); }
    }, function () { say(state.dataset.split, true); });
  });
})();
