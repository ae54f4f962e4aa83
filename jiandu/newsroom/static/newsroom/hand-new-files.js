// The inbox hands files that arrived since sign-in to the worker without a click: a page load
// (a GET) writes nothing, so this script posts the page's own hand-off form at once and says
// so in its place. Without JavaScript the form's button does the same.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-auto-submit]");
    if (!form || !window.fetch) { return; }
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var status = form.querySelector("[role=status]");
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch"},
      body: new FormData(form)
    }).then(function (response) {
      if (response.ok && status) {
        status.textContent = form.getAttribute("data-done") || status.textContent;
        if (button) { button.hidden = true; }
      } else if (button) {
        button.disabled = false;
      }
    }).catch(function () { if (button) { button.disabled = false; } });
  });
})();
