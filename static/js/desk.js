// Keyboard-first shell: global shortcuts, theme switch, help dialog.
(function () {
  "use strict";
  var pending = "";
  var pendingTimer = null;

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function toggleTheme() {
    var next = document.documentElement.dataset.theme === "light" ? "dark" : "light";
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem("riskdesk-theme", next); } catch (e) {}
  }

  function showHelp() {
    var help = document.getElementById("help");
    if (help && !help.open) { help.showModal(); }
  }

  // Pages add their own keys: window.riskdesk.keys["c"] = function () { ... }.
  window.riskdesk = window.riskdesk || { keys: {} };

  // Ctrl+Enter (Cmd+Enter) sends the form being written in, everywhere: a note, a reply,
  // a reason. requestSubmit runs the form's checks and its htmx handlers like a click.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) { return; }
    var field = event.target;
    if (!typing(field) || !field.form) { return; }
    event.preventDefault();
    field.form.requestSubmit();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    // "/" in an empty search box that already has focus is the shortcut, not a character.
    if (event.key === "/" && event.target.matches && event.target.matches("[data-search]") && !event.target.value) {
      event.preventDefault();
      return;
    }
    if (typing(event.target)) { return; }
    var key = event.key;
    if (pending === "g") {
      pending = "";
      var link = document.querySelector('[data-key="g ' + key + '"]');
      if (link) { event.preventDefault(); link.click(); }
      return;
    }
    if (key === "g") { pending = "g"; clearTimeout(pendingTimer); pendingTimer = setTimeout(function () { pending = ""; }, 1200); return; }
    if (key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
      return;
    }
    if (key === "?") { event.preventDefault(); showHelp(); return; }
    if (key === "t") { toggleTheme(); return; }
    var handler = window.riskdesk.keys[key];
    if (handler) { event.preventDefault(); handler(event); }
  });

  // A poll or a click the server could not serve (503: its database is away): say so in
  // a live region instead of leaving a page that silently stopped refreshing.
  function deskStatus() {
    var box = document.getElementById("desk-status");
    if (!box) {
      box = document.createElement("p");
      box.id = "desk-status";
      box.className = "msg msg-error";
      box.setAttribute("role", "alert");
      box.hidden = true;
      document.body.insertBefore(box, document.getElementById("main"));
    }
    return box;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 503) {
      var box = deskStatus();
      box.textContent = xhr.responseText;
      box.hidden = false;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("desk-status");
    if (box && event.detail.successful) { box.hidden = true; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var theme = document.getElementById("theme-toggle");
    if (theme) { theme.addEventListener("click", toggleTheme); }
    var help = document.getElementById("help-toggle");
    if (help) { help.addEventListener("click", showHelp); }
    // Rows that are links: Enter opens them, as a click would.
    document.body.addEventListener("keydown", function (event) {
      var row = event.target.closest && event.target.closest("tr[data-href]");
      if (row && event.key === "Enter") { window.location = row.dataset.href; }
    });
    document.body.addEventListener("click", function (event) {
      var row = event.target.closest && event.target.closest("tr[data-href]");
      if (row && !event.target.closest("a, button, input")) { window.location = row.dataset.href; }
    });
  });
})();
