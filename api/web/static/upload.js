// The clerk's inbox: drop several files (or choose them), each sent on its own with a progress bar.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function refresh(form) {
    if (window.htmx) {
      window.htmx.ajax("GET", form.getAttribute("data-refresh-url"), form.getAttribute("data-refresh"));
    }
  }

  function upload(form, file, list, done) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = file.name + " ";
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "status";
    item.appendChild(label); item.appendChild(bar); item.appendChild(status);
    list.appendChild(item);

    var data = new FormData();
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-upload-url"));
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) bar.value = Math.round(100 * event.loaded / event.total);
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        bar.value = 100;
        status.textContent = " " + (document.documentElement.lang === "fr" ? "reçu" : "OK");
        item.className = "ok";
      } else {
        var text = xhr.responseText || "";
        try { text = JSON.parse(text).detail || text; } catch (e) {
          text = new DOMParser().parseFromString(text, "text/html").body.textContent.trim();
        }
        status.textContent = " " + xhr.status + " — " + text;
        item.className = "failed";
      }
      done();
    });
    xhr.addEventListener("error", function () {
      status.textContent = " ✗";
      item.className = "failed";
      done();
    });
    xhr.send(data);
  }

  function send(form, files) {
    var list = document.getElementById("upload-progress");
    var pending = files.length;
    if (!pending) return;
    Array.prototype.forEach.call(files, function (file) {
      upload(form, file, list, function () {
        pending -= 1;
        if (pending === 0) refresh(form);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = form.querySelector("input[type=file]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(form, input.files);
      input.value = "";
    });
    input.addEventListener("change", function () {
      send(form, input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) { event.preventDefault(); form.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function (event) { event.preventDefault(); form.classList.remove("dragging"); });
    });
    form.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files) send(form, event.dataTransfer.files);
    });
  });
})();
