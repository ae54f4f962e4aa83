// The studio's editor, on top of the form that works without it: drag on the original to draw
// a box (its numbers go into the "Boxes to hide" field; on a video, from the moment shown for
// five seconds), and mark the clip's start and end on the video's own timeline. After a change
// in the form (or a new moment of the video), the live preview asks the server for one frame
// with the regions hidden (POST items/<id>/frame/, made in the sandbox, recorded in the custody
// log) and shows it beside the original. Rendering still needs "Render": the form is what the
// server gets.
(function () {
  "use strict";
  var form = document.querySelector("form.studio-form");
  var media = document.querySelector("[data-original]");
  if (!form || !media) return;
  var boxes = form.querySelector("textarea[name=boxes]");
  var ranges = form.querySelector("input[name=ranges]");
  var isVideo = media.tagName === "VIDEO";
  var percent = function (v) { return String(Math.round(v * 1000) / 10); };
  var clock = function (seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var two = function (n) { return String(n).padStart(2, "0"); };
    return two(Math.floor(s / 3600)) + ":" + two(Math.floor((s % 3600) / 60)) + ":" + two(s % 60);
  };
  var clamp = function (v) { return Math.min(1, Math.max(0, v)); };

  var area = media.parentElement;
  area.classList.add("draw-area");
  var drawn = document.createElement("div");
  drawn.className = "draw-box";
  drawn.hidden = true;
  area.appendChild(drawn);
  var start = null, drew = false;
  var corner = function (event) {
    var r = media.getBoundingClientRect();
    return [clamp((event.clientX - r.left) / r.width), clamp((event.clientY - r.top) / r.height)];
  };
  var show = function (a, b) {
    drawn.style.left = percent(Math.min(a[0], b[0])) + "%";
    drawn.style.top = percent(Math.min(a[1], b[1])) + "%";
    drawn.style.width = percent(Math.abs(a[0] - b[0])) + "%";
    drawn.style.height = percent(Math.abs(a[1] - b[1])) + "%";
  };
  area.addEventListener("pointerdown", function (event) {
    if (event.target !== media) return; // the caption or the clip buttons
    if (isVideo && event.offsetY > media.clientHeight - 40) return; // the video's controls
    start = corner(event);
    drawn.hidden = false;
    show(start, start);
    event.preventDefault();
    if (isVideo) media.pause(); // a box belongs to the moment it is drawn on
  });
  // The click that ends a drag would reach the video and start it playing (Chromium's
  // click-to-play), moving it away from the moment of the box and of the live preview.
  area.addEventListener("click", function (event) {
    if (!drew) return;
    drew = false;
    event.preventDefault();
    event.stopPropagation();
  }, true);
  area.addEventListener("pointermove", function (event) {
    if (start) show(start, corner(event));
  });
  window.addEventListener("pointerup", function (event) {
    if (!start || !boxes) return;
    drew = area.contains(event.target);
    var end = corner(event);
    var x = Math.min(start[0], end[0]), y = Math.min(start[1], end[1]);
    var w = Math.abs(start[0] - end[0]), h = Math.abs(start[1] - end[1]);
    start = null;
    if (w < 0.01 || h < 0.01) { drawn.hidden = true; return; }
    var line = [x, y, w, h].map(percent).join(" ");
    if (isVideo) {
      var from = media.currentTime || 0;
      line += " " + clock(from) + " " + clock(Math.min(media.duration || from + 5, from + 5) + 1);
    }
    if (boxes.value && !/\n$/.test(boxes.value)) boxes.value += "\n";
    boxes.value += line + "\n";
    schedule();
  });

  if (isVideo && ranges) {
    var bar = document.createElement("p");
    bar.className = "timeline";
    var pending = null;
    var button = function (label, act) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = label;
      b.addEventListener("click", act);
      bar.appendChild(b);
      return b;
    };
    button(media.dataset.startLabel, function () { pending = media.currentTime || 0; });
    button(media.dataset.endLabel, function () {
      var end = media.currentTime || 0;
      if (pending === null || end <= pending) return;
      var range = clock(pending) + "-" + clock(Math.ceil(end));
      ranges.value = ranges.value ? ranges.value + ", " + range : range;
      pending = null;
    });
    media.after(bar); // under the video, above its caption
  }

  // The live preview: one request at a time, the latest settings win.
  var live = document.querySelector("[data-frame-url]");
  var timer = null, busy = false, again = false;
  function schedule() {
    if (!live) return;
    clearTimeout(timer);
    timer = setTimeout(ask, 600);
  }
  function ask() {
    if (busy) { again = true; return; }
    busy = true;
    var status = live.querySelector("[role=status]");
    var image = live.querySelector("img");
    var data = new FormData(form);
    var at = isVideo ? media.currentTime || 0 : 0;
    data.append("at", String(at));
    live.hidden = false;
    status.textContent = live.dataset.busyLabel;
    fetch(live.dataset.frameUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        var faces = [];
        try { faces = JSON.parse(response.headers.get("X-Jiandu-Faces") || "[]"); } catch (e) { faces = []; }
        return response.blob().then(function (blob) { return [blob, faces]; });
      })
      .then(function (answer) {
        // The page's policy allows images from the site and data: URLs (not blob:).
        var reader = new FileReader();
        reader.onload = function () {
          image.src = reader.result;
          image.hidden = false;
          number(answer[1]);
          status.textContent = isVideo ? live.dataset.atLabel + " " + clock(at) : "";
        };
        reader.readAsDataURL(answer[0]);
      })
      .catch(function () { status.textContent = live.dataset.failedLabel; })
      .then(function () {
        busy = false;
        if (again) { again = false; ask(); }
      });
  }
  // Each face's number drawn on the preview (the number "faces left visible" takes, the same
  // in every render of this file), and listed under it in words.
  var frame = null, listing = null;
  function number(faces) {
    var image = live.querySelector("img");
    if (!frame) {
      frame = document.createElement("div");
      frame.className = "live-frame";
      image.before(frame);
      frame.appendChild(image);
      listing = document.createElement("ul");
      listing.className = "live-faces";
      frame.after(listing);
    }
    frame.querySelectorAll(".face-number").forEach(function (old) { old.remove(); });
    listing.textContent = "";
    faces.forEach(function (face) {
      var n = face[0], visible = face[5] === 1;
      var mark = document.createElement("span");
      mark.className = "face-number" + (visible ? " visible" : "");
      mark.dataset.face = String(n);
      mark.textContent = n ? String(n) : "?";
      mark.setAttribute("aria-hidden", "true");
      mark.style.left = percent(face[1]) + "%";
      mark.style.top = percent(face[2]) + "%";
      frame.appendChild(mark);
      var item = document.createElement("li");
      item.dataset.face = String(n);
      item.textContent = n
        ? live.dataset.faceLabel + " " + n + " · " + (visible ? live.dataset.visibleLabel : live.dataset.hiddenLabel)
        : live.dataset.faceLabel + " ? · " + live.dataset.unnumberedLabel;
      listing.appendChild(item);
    });
  }
  // "Faces that will stay visible", kept up to date as the numbers are typed (the server
  // lists them again, and asks to confirm, before it renders).
  var keep = form.querySelector("input[name=keep]");
  var kept = document.getElementById("visible-faces");
  if (keep && kept) {
    var known = {};
    try { known = JSON.parse(kept.dataset.thumbs || "{}"); } catch (e) { known = {}; }
    keep.addEventListener("input", function () {
      var numbers = keep.value.split(/[\s,]+/).filter(function (w) { return /^[1-9][0-9]{0,3}$/.test(w); });
      numbers = numbers.filter(function (w, i) { return numbers.indexOf(w) === i; });
      kept.querySelectorAll("ul, p").forEach(function (old) { old.remove(); });
      if (!numbers.length) {
        var none = document.createElement("p");
        none.textContent = kept.dataset.noneLabel;
        kept.appendChild(none);
        return;
      }
      var list = document.createElement("ul");
      list.className = "face-list";
      numbers.forEach(function (n) {
        var item = document.createElement("li");
        item.dataset.face = n;
        if (known[n]) {
          var thumb = document.createElement("img");
          thumb.className = "face-thumb";
          thumb.src = known[n];
          thumb.alt = kept.dataset.faceLabel + " " + n;
          thumb.width = 48;
          thumb.height = 48;
          item.appendChild(thumb);
        }
        var text = document.createElement("span");
        text.textContent = kept.dataset.faceLabel + " " + n + (n in known ? "" : " · " + kept.dataset.unknownLabel);
        item.appendChild(text);
        list.appendChild(item);
      });
      kept.appendChild(list);
    });
  }
  if (live) {
    form.addEventListener("change", schedule);
    if (isVideo) media.addEventListener("seeked", schedule);
    schedule();
  }
})();
