/* Resumable uploads with progress: an enhancement only. Without JavaScript the form posts the
   files itself (the encrypting upload handler takes them); with it, each file goes in 4 MiB
   pieces to the resumable endpoints, so a dropped connection resumes where it stopped. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-resumable-url]");
  if (!form || !window.fetch || !window.Promise || !window.Blob) { return; }
  var input = form.querySelector("input[type=file][name=files]");
  var status = form.querySelector(".upload-status");
  var button = form.querySelector("button[type=submit]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var base = form.getAttribute("data-resumable-url");
  var PIECE = 4 * 1024 * 1024;
  var MAX_FAILURES = 40;

  function Fatal(message) { this.message = message; }

  function say(text) { status.hidden = false; status.textContent = text; }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; })
      .replace(/%%/g, "%");
  }

  function call(method, url, headers, body) {
    var all = { "X-CSRFToken": token };
    Object.keys(headers || {}).forEach(function (key) { all[key] = headers[key]; });
    return fetch(url, { method: method, headers: all, body: body, credentials: "same-origin" });
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function offsetOf(response) { return parseInt(response.headers.get("Upload-Offset"), 10); }

  async function errorOf(response) {
    try { return (await response.json()).error; } catch (e) { return response.statusText; }
  }

  // A header has a size limit (gunicorn: 8 KiB) and the server keeps 200 characters of a name
  // anyway: send its first 300 and last 40 characters (whole code points, so no half of a
  // surrogate pair reaches encodeURIComponent, which would throw).
  function headerName(name) {
    var points = Array.from(name);
    if (points.length <= 340) { return encodeURIComponent(name); }
    return encodeURIComponent(points.slice(0, 300).concat(points.slice(-40)).join(""));
  }

  async function sendFile(file) {
    var response = await call("POST", base, {
      "Upload-Length": String(file.size),
      "Upload-Name": headerName(file.name)
    });
    if (!response.ok) { throw new Fatal(await errorOf(response)); }
    var id = (await response.json()).id;
    var url = base + id + "/";
    var offset = 0;
    var failures = 0;
    while (offset < file.size) {
      say(fill(form.dataset.textProgress, {
        name: file.name, percent: String(Math.floor(100 * offset / file.size))
      }));
      try {
        response = await call("PATCH", url, {
          "Upload-Offset": String(offset),
          "Content-Type": "application/offset+octet-stream"
        }, file.slice(offset, offset + PIECE));
        if (response.status === 204 || response.status === 409) {
          offset = offsetOf(response);
          if (response.status === 204) { failures = 0; }
          continue;
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 400) {
          throw new Fatal(await errorOf(response));
        }
        throw new Error(String(response.status));
      } catch (error) {
        if (error instanceof Fatal) { throw error; }
        failures += 1;
        if (failures > MAX_FAILURES) { throw new Fatal(form.dataset.textFailed); }
        say(form.dataset.textRetry);
        await wait(Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 5))));
        try {
          response = await call("HEAD", url);
          if (response.ok) { offset = offsetOf(response); }
          else if (response.status === 404) { throw new Fatal(form.dataset.textFailed); }
        } catch (again) { if (again instanceof Fatal) { throw again; } }
      }
    }
    response = await call("POST", url + "finish/");
    if (!response.ok) { throw new Fatal(await errorOf(response)); }
    return id;
  }

  function hidden(name, value) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.appendChild(field);
  }

  form.addEventListener("submit", async function (event) {
    if (!input || !input.files.length) { return; }
    event.preventDefault();
    button.disabled = true;
    var files = Array.prototype.slice.call(input.files);
    try {
      for (var i = 0; i < files.length; i += 1) {
        try {
          hidden("uploads", await sendFile(files[i]));
        } catch (error) {
          if (!(error instanceof Fatal)) { throw error; }
          hidden("upload_problems", error.message);
        }
      }
      say(form.dataset.textSending);
      input.disabled = true;
      form.submit();
    } catch (error) {
      say(form.dataset.textFailed);
      button.disabled = false;
    }
  });
}());
