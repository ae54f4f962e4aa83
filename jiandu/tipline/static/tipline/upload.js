/* Resumable uploads through the tip line's tus server, with the vendored tus-js-client
   (vendor/tus-js-client). An enhancement only: without JavaScript the form posts the files
   itself. With it, each file goes in pieces; the finished upload URLs go in the form's
   `uploads` field, one per line, and the form is sent.

   Nothing about a file stays in the source's browser: tus-js-client's fingerprints in
   localStorage are off (storeFingerprintForResuming: false, and a URL storage that lives in
   this page's memory). Resume state is in memory and in the server-side session:
   - a dropped connection: tus-js-client asks the server for the offset and goes on; past its
     retries, this script waits for the network and starts the same upload again;
   - a reload: the page lists this session's unfinished uploads (from the server); choosing
     the same file again (same size, same name) resumes it where the server has it;
   - a closed browser (issue 19, item 2): a source signed in again with its codename finds its
     unfinished uploads listed the same way (the server keeps them, sealed to the codename);
     the server asks for the SHA-256 of the file's first bytes (data-head-length of them) before
     it takes more, so that another file of the same name and size is not stitched on. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-tus-endpoint]");
  if (!form || !window.tus || !window.tus.isSupported || !window.Promise) { return; }
  var input = form.querySelector("input[type=file][name=files]");
  var field = form.querySelector("input[type=hidden][name=uploads]");
  var status = form.querySelector(".upload-status");
  var bar = form.querySelector("progress.upload-progress");
  var line = form.querySelector(".upload-progress-text");
  var button = form.querySelector("button[type=submit]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var endpoint = form.getAttribute("data-tus-endpoint");
  var chunkSize = parseInt(form.getAttribute("data-chunk-bytes"), 10);
  var text = form.dataset;
  var MAX_RESTARTS = 30;

  // This session's uploads the server still holds (rendered by the server into the page).
  var held = Array.prototype.map.call(
    document.querySelectorAll("[data-held-upload]"),
    function (el) {
      return {
        url: el.getAttribute("data-url"),
        name: el.getAttribute("data-name"),
        size: Number(el.getAttribute("data-size")),
        done: el.getAttribute("data-done") === "true",
        headLength: Number(el.getAttribute("data-head-length") || 0)
      };
    }
  );

  // tus-js-client's URL storage, in this page's memory only (never localStorage).
  var memoryStorage = {
    entries: {},
    findAllUploads: function () {
      var all = this.entries;
      return Promise.resolve(Object.keys(all).map(function (k) { return all[k]; }));
    },
    findUploadsByFingerprint: function (fingerprint) {
      var all = this.entries;
      return Promise.resolve(Object.keys(all).filter(function (k) {
        return all[k].fingerprint === fingerprint;
      }).map(function (k) { return all[k]; }));
    },
    removeUpload: function (key) { delete this.entries[key]; return Promise.resolve(); },
    addUpload: function (fingerprint, upload) {
      var key = "memory-" + Object.keys(this.entries).length;
      this.entries[key] = Object.assign({ fingerprint: fingerprint, urlStorageKey: key }, upload);
      return Promise.resolve(key);
    }
  };

  function say(message) { status.hidden = false; status.textContent = message; }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; })
      .replace(/%%/g, "%");
  }

  // Written as the server writes sizes (sizes.js, jiandu/core/sizes.py).
  function megabytes(bytes) { return window.JianduSizes.format(bytes, window.JianduSizes.formatsOf(form)); }

  function clock(seconds) {
    if (!isFinite(seconds)) { return "–"; }
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = (h && m < 10 ? "0" : "") + m;
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  // A header has a size limit (gunicorn: 8 KiB) and the server keeps 200 characters of a name
  // anyway: send its first 300 and last 40 characters (whole code points).
  function shortName(name) {
    var points = Array.from(name);
    if (points.length <= 340) { return name; }
    return points.slice(0, 300).concat(points.slice(-40)).join("");
  }

  // An upload the server holds for this file: the same size and name (the server keeps a
  // cleaned name, so with one candidate of that size, the size alone decides).
  function heldFor(file) {
    var same = held.filter(function (h) { return h.size === file.size && !h.taken; });
    var named = same.filter(function (h) { return h.name === file.name; });
    var match = named[0] || (same.length === 1 ? same[0] : null);
    if (match) { match.taken = true; }
    return match;
  }

  // Progress over all files: bytes, speed over the last seconds, time left.
  var total = 0;
  var finishedBytes = 0;
  var samples = [];

  function showProgress(sentOfCurrent) {
    var done = finishedBytes + sentOfCurrent;
    var now = Date.now();
    samples.push([now, done]);
    while (samples.length > 2 && now - samples[0][0] > 8000) { samples.shift(); }
    var first = samples[0];
    var seconds = (now - first[0]) / 1000;
    var speed = seconds > 0.25 ? (done - first[1]) / seconds : 0;
    bar.hidden = false;
    bar.max = total;
    bar.value = done;
    line.hidden = false;
    line.textContent = fill(text.textProgress, {
      done: megabytes(done),
      total: megabytes(total),
      speed: speed > 0 ? megabytes(speed) : "–",
      left: speed > 0 ? clock((total - done) / speed) : "–"
    });
    if (status.textContent === text.textRetry) { say(""); }
  }

  function transient(error) {
    var response = error && error.originalResponse;
    var code = response ? response.getStatus() : 0;
    return code === 0 || code >= 500 || code === 409 || code === 423;
  }

  function serverMessage(error) {
    var response = error && error.originalResponse;
    var body = response ? response.getBody() : "";
    return (body && body.length < 500) ? body : text.textFailed;
  }

  function whenOnline() {
    if (navigator.onLine !== false) { return Promise.resolve(); }
    return new Promise(function (resolve) {
      window.addEventListener("online", function () { resolve(); }, { once: true });
    });
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // The proof that a resumed upload goes on with the same file: the SHA-256 of its first bytes,
  // as many as the server recorded from the first piece (Upload-Head-Checksum).
  function headProof(file, previous) {
    if (!previous || !previous.headLength || !window.crypto || !window.crypto.subtle) {
      return Promise.resolve({});
    }
    return file.slice(0, previous.headLength).arrayBuffer().then(function (bytes) {
      return window.crypto.subtle.digest("SHA-256", bytes);
    }).then(function (digest) {
      var binary = String.fromCharCode.apply(null, new Uint8Array(digest));
      return { "Upload-Head-Checksum": "sha256 " + window.btoa(binary) };
    });
  }

  function send(file) {
    var previous = heldFor(file);
    return headProof(file, previous).then(function (proof) {
      return sendWith(file, previous, proof);
    });
  }

  function sendWith(file, previous, proof) {
    return new Promise(function (resolve, reject) {
      var restarts = 0;
      var upload = new window.tus.Upload(file, {
        endpoint: endpoint,
        uploadUrl: previous ? previous.url : null,
        chunkSize: chunkSize,
        retryDelays: [0, 1000, 3000, 5000, 10000],
        metadata: {
          filename: shortName(file.name),
          filetype: file.type || "application/octet-stream"
        },
        headers: Object.assign({ "X-CSRFToken": token }, proof),
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        urlStorage: memoryStorage,
        onShouldRetry: function (error) {
          var again = transient(error) && navigator.onLine !== false;
          if (again) { say(text.textRetry); }
          return again;
        },
        onProgress: function (sent) { showProgress(sent); },
        onSuccess: function () { resolve(upload.url); },
        onError: function (error) {
          if (!transient(error) || restarts >= MAX_RESTARTS) {
            reject(new Error(serverMessage(error)));
            return;
          }
          restarts += 1;
          say(text.textRetry);
          whenOnline()
            .then(function () { return wait(Math.min(30000, 1000 * restarts)); })
            .then(function () { upload.start(); });  // resumes at the server's offset
        }
      });
      upload.start();
    });
  }

  form.addEventListener("submit", function (event) {
    if (!input || !input.files.length) { return; }
    event.preventDefault();
    button.disabled = true;
    var files = Array.prototype.slice.call(input.files);
    var urls = [];
    total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    finishedBytes = 0;
    samples = [];
    files.reduce(function (chain, file) {
      return chain.then(function () {
        return send(file).then(function (url) {
          urls.push(url);
        }, function (error) {
          var problem = document.createElement("input");
          problem.type = "hidden";
          problem.name = "upload_problems";
          problem.value = error.message;
          form.appendChild(problem);
        }).then(function () { finishedBytes += file.size; });
      });
    }, Promise.resolve()).then(function () {
      field.value = urls.join("\n");
      say(text.textSending);
      input.disabled = true;  // the files went through tus; the form sends the rest
      form.submit();
    });
  });
}());
