/* 共建 Gongjian — behaviour of the residents' pages. Loaded as a static file (CSP: no inline
   scripts or handlers). Everything is driven by data attributes:
     [data-progress="40"]      sets the element's width to 40 %
     [data-copy-link="URL"]    copies URL to the clipboard; says data-copied-text in [data-copy-status]
     form[data-confirm="…"]    asks before submitting
     [data-print]              opens the browser's print dialog
     input[data-password-toggle] gets a show-password button (below) */
(function () {
  "use strict";

  function setProgress(root) {
    root.querySelectorAll("[data-progress]").forEach(function (el) {
      var value = parseFloat(el.getAttribute("data-progress"));
      if (isNaN(value)) { return; }
      value = Math.max(0, Math.min(100, value));
      el.style.width = value + "%";
    });
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "position-fixed top-0 start-0 opacity-0";
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function announce(button, ok) {
    var text = ok ? button.getAttribute("data-copied-text") : button.getAttribute("data-copy-failed-text");
    var scope = button.closest("section") || document;
    var status = scope.querySelector("[data-copy-status]") || document.querySelector("[data-copy-status]");
    if (status) {
      status.textContent = text || "";
    }
    if (ok) {
      button.classList.add("is-copied");
    }
  }

  function copyLink(button) {
    var url = button.getAttribute("data-copy-link") || window.location.href;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(
        function () { announce(button, true); },
        function () { announce(button, fallbackCopy(url)); }
      );
    } else {
      announce(button, fallbackCopy(url));
    }
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy-link]");
    if (copy) {
      event.preventDefault();
      copyLink(copy);
      return;
    }
    var print = event.target.closest("[data-print]");
    if (print) {
      event.preventDefault();
      window.print();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One tap, one request: a second tap on a slow phone would only send it again.
    var buttons = form.querySelectorAll("button[type=submit]");
    if (form.method && form.method.toLowerCase() === "post") {
      window.setTimeout(function () {
        buttons.forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  });

  // Coming back with the browser's Back button: the page may come from the cache with the
  // buttons still disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form button[type=submit][disabled]").forEach(function (b) {
      b.disabled = false;
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setProgress(document); });
  } else {
    setProgress(document);
  }
})();

/* input[data-password-toggle]: a "显示密码" button after the field that shows or hides what
   was typed (texts from data-show-text / data-hide-text, so they are translated). */
(function () {
  "use strict";

  function addToggle(input) {
    if (input.getAttribute("data-toggle-ready")) { return; }
    input.setAttribute("data-toggle-ready", "1");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary password-toggle mt-2";
    button.setAttribute("aria-pressed", "false");
    if (input.id) { button.setAttribute("aria-controls", input.id); }
    button.textContent = input.getAttribute("data-show-text") || "Show";
    button.addEventListener("click", function () {
      var shown = input.type === "text";
      input.type = shown ? "password" : "text";
      button.setAttribute("aria-pressed", shown ? "false" : "true");
      button.textContent = shown ? input.getAttribute("data-show-text") : input.getAttribute("data-hide-text");
    });
    input.insertAdjacentElement("afterend", button);
  }

  function init() {
    document.querySelectorAll("input[data-password-toggle]").forEach(addToggle);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
