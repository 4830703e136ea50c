// dms web interface: behaviour without inline scripts (the CSP forbids them).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // Ctrl+Enter (Cmd+Enter) submits a form marked data-ctrl-enter, from any of its fields.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = document.querySelector("form[data-ctrl-enter]");
    if (!form) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  function announce(element, text) {
    if (element) element.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;

    // A suggested class of the plan: one click accepts it.
    if (target.hasAttribute("data-accept-classification")) {
      setClassification(target.getAttribute("data-accept-classification"), target.getAttribute("data-label"));
      document.querySelectorAll("[data-accept-classification]").forEach(function (b) {
        b.setAttribute("aria-pressed", b === target ? "true" : "false");
      });
      return;
    }
    if (target.hasAttribute("data-accept-all-keywords")) {
      document.querySelectorAll("input[data-suggested]").forEach(function (box) { box.checked = true; });
      return;
    }
    if (target.hasAttribute("data-pick-contact")) {
      var field = document.getElementById("sender_id");
      if (field) field.value = target.getAttribute("data-pick-contact");
      announce(document.getElementById("sender-chosen"), target.getAttribute("data-label"));
      var options = document.getElementById("sender-options");
      if (options) options.textContent = "";
      return;
    }
    if (target.hasAttribute("data-pick-concept")) {
      var uri = target.getAttribute("data-pick-concept");
      var label = target.getAttribute("data-label");
      if (target.getAttribute("data-target") === "classification") {
        setClassification(uri, label);
        clear("classification-options");
      } else {
        addKeyword(uri, label);
        clear("keyword-options");
      }
    }
  });

  function clear(id) {
    var element = document.getElementById(id);
    if (element) element.textContent = "";
  }

  function setClassification(uri, label) {
    var field = document.getElementById("classification");
    if (field) field.value = uri;
    announce(document.getElementById("classification-chosen"), label);
  }

  function addKeyword(uri, label) {
    var list = document.getElementById("keyword-list");
    if (!list) return;
    var existing = Array.prototype.find.call(list.querySelectorAll("input[name=keywords]"), function (box) {
      return box.value === uri;
    });
    if (existing) { existing.checked = true; return; }
    var id = "kw-added-" + list.children.length;
    var item = document.createElement("li");
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "keywords"; box.value = uri; box.id = id; box.checked = true;
    var text = document.createElement("label");
    text.htmlFor = id; text.textContent = label;
    item.appendChild(box); item.appendChild(text);
    list.appendChild(item);
  }
})();
