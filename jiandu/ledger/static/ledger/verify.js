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
