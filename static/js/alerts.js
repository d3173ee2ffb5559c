// The triage queue: a cursor row (j/k), selection (x), actions on keys, SLA countdowns,
// and a list that refreshes itself every few seconds without losing either.
(function () {
  "use strict";
  var keys = (window.riskdesk = window.riskdesk || { keys: {} }).keys;
  var selected = new Set();
  var matching = false; // "select all matching the filter" (not only this page)
  var expanded = new Set(); // group keys whose members are shown
  var afterAction = null; // where the cursor goes once the list comes back after an action
  var cursorId = null;
  var cursorIndex = 0;
  var offset = 0; // server clock minus ours, so countdowns agree with the server

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-id]")); }
  function bulk() { return document.getElementById("bulk"); }
  function anyDialogOpen() { return !!document.querySelector("dialog[open]"); }

  function cursorRow() {
    var all = rows();
    return all.find(function (r) { return r.dataset.id === cursorId; }) || null;
  }

  function setCursor(row) {
    rows().forEach(function (r) { r.classList.remove("cursor"); r.removeAttribute("aria-current"); });
    if (!row) { cursorId = null; return; }
    cursorId = row.dataset.id;
    row.classList.add("cursor");
    row.setAttribute("aria-current", "true");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(cursorRow());
    var next = index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    setCursor(all[next]);
  }

  function matchingText() {
    var total = document.getElementById("queue-total");
    var force = document.getElementById("in-force");
    return "all " + (total ? total.textContent : "") + " alerts matching the filter";
  }

  function groupsPicked() {
    return rows().some(function (r) { return r.dataset.group && selected.has(r.dataset.id); });
  }

  function describeSelection() {
    var label = document.getElementById("selection");
    var text = matching ? "Selected: " + matchingText() + " (not only this page)"
      : selected.size
      ? selected.size + (groupsPicked() ? " rows selected (a group row counts all its alerts)" : " alert" + (selected.size === 1 ? "" : "s") + " selected")
      : "No alert selected — actions apply to the highlighted row";
    if (label) { label.textContent = text; }
    document.querySelectorAll("[data-count]").forEach(function (el) {
      var row = cursorRow();
      el.textContent = matching ? matchingText()
        : selected.size ? selected.size + (groupsPicked() ? " rows" : " alert" + (selected.size === 1 ? "" : "s"))
        : row && row.dataset.group ? "the highlighted group (" + row.dataset.group.replace(":", " ") + ")"
        : "alert #" + (cursorId || "—");
    });
  }

  function restore() {
    rows().forEach(function (row) {
      var box = row.querySelector("input[type=checkbox]");
      if (box) { box.checked = selected.has(row.dataset.id); }
      row.classList.toggle("picked", selected.has(row.dataset.id));
    });
    var all = document.getElementById("select-matching");
    if (all) { all.checked = matching; }
    var row = cursorRow();
    if (row) { row.classList.add("cursor"); row.setAttribute("aria-current", "true"); }
    else if (rows().length) { setCursor(rows()[Math.min(cursorIndex, rows().length - 1)]); }
    if (cursorRow()) { cursorIndex = rows().indexOf(cursorRow()); }
    document.querySelectorAll("#queue [data-group-toggle]").forEach(function (button) {
      var open = expanded.has(button.dataset.groupToggle);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.firstChild.textContent = button.firstChild.textContent.replace(/^[▸▾]/, open ? "▾" : "▸");
    });
    var queue = document.getElementById("queue");
    if (queue && queue.dataset.now) { offset = Date.parse(queue.dataset.now) - Date.now(); }
    describeSelection();
    tick();
  }

  function toggle(row) {
    if (!row) { return; }
    var id = row.dataset.id;
    if (selected.has(id)) { selected.delete(id); } else { selected.add(id); }
    restore();
  }

  function hidden(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value; input.dataset.transient = "1";
    form.appendChild(input);
  }

  // With nothing selected an action applies to the highlighted row. The action is carried
  // in a field too: htmx does not send the button of a keyboard-made submit.
  function prepare(form, submitter) {
    form.querySelectorAll("input[data-transient]").forEach(function (el) { el.remove(); });
    var row = cursorRow();
    if (!selected.size && !matching && row) {
      if (row.dataset.group) { hidden(form, "groups", row.dataset.group); } else { hidden(form, "ids", cursorId); }
    }
    // The cursor goes on to the next row this action leaves in place.
    var all = rows(), index = all.indexOf(row);
    afterAction = null;
    for (var i = index + 1; i < all.length && !matching; i++) {
      var inGroup = row && row.dataset.group && all[i].dataset.memberOf === row.dataset.group;
      if (!selected.has(all[i].dataset.id) && !inGroup) { afterAction = all[i].dataset.id; break; }
    }
    if (submitter && submitter.name === "action") { hidden(form, "action", submitter.value); }
  }

  function submit(buttonId) {
    var form = bulk();
    var button = document.getElementById(buttonId);
    if (!form || !button) { return; }
    form.requestSubmit(button);
  }

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (!dialog || !bulk()) { return; }
    // Only the open dialog's fields are sent.
    document.querySelectorAll("#bulk dialog").forEach(function (d) {
      d.querySelectorAll("select, textarea").forEach(function (el) { el.disabled = d !== dialog; });
    });
    describeSelection();
    dialog.showModal();
    var first = dialog.querySelector("select, textarea");
    if (first) { first.focus(); }
  }

  function showGroup(key, open) {
    var lead = document.querySelector('#queue tr[data-group="' + key + '"]');
    document.querySelectorAll('#queue tr[data-member-of="' + key + '"]').forEach(function (r) { r.remove(); });
    if (!open || !lead) { expanded.delete(key); restore(); return; }
    expanded.add(key);
    lead.dataset.open = "1";
    var button = lead.querySelector("[data-group-toggle]");
    window.htmx.ajax("GET", button.dataset.url + "&lead=" + lead.dataset.id, { target: lead, swap: "afterend" });
  }

  function toggleGroup(row, open) {
    if (!row || !row.dataset.group) {
      var of = row && row.dataset.memberOf;
      if (of && open === false) { setCursor(document.querySelector('#queue tr[data-group="' + of + '"]')); showGroup(of, false); }
      return;
    }
    showGroup(row.dataset.group, open === undefined ? !expanded.has(row.dataset.group) : open);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function left(ms) {
    var late = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = h >= 24 ? Math.floor(h / 24) + "d " + (h % 24) + "h" : h ? h + "h " + pad(m) + "m" : m + "m " + pad(sec) + "s";
    return (late ? "-" : "") + text;
  }

  function tick() {
    var now = Date.now() + offset;
    var late = 0;
    document.querySelectorAll("#queue [data-due]").forEach(function (el) {
      var ms = Date.parse(el.dataset.due) - now;
      el.textContent = left(ms);
      var row = el.closest("tr");
      if (ms <= 0 && row && !row.classList.contains("late")) {
        row.classList.add("late");
        var tag = document.createElement("span");
        tag.className = "tag tag-late"; tag.textContent = "BREACHED";
        el.after(" ", tag);
      }
      if (ms <= 0) { late += 1; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("queue")) { return; }
    restore();
    setInterval(tick, 1000);

    document.body.addEventListener("change", function (event) {
      if (event.target.id === "select-matching") {
        matching = event.target.checked;
        if (matching) { selected.clear(); }
        restore();
        return;
      }
      if (event.target.matches && event.target.matches("#queue input[name=ids], #queue input[name=groups]")) {
        var id = event.target.closest("tr").dataset.id;
        if (event.target.checked) { selected.add(id); } else { selected.delete(id); }
        restore();
      }
    });
    document.body.addEventListener("click", function (event) {
      var grouper = event.target.closest && event.target.closest("[data-group-toggle]");
      if (grouper) { setCursor(grouper.closest("tr")); toggleGroup(grouper.closest("tr")); return; }
      var opener = event.target.closest && event.target.closest("[data-open]");
      if (opener) { openDialog(opener.dataset.open); return; }
      // Open a case (a page of the cases app) from the selection, or the highlighted row.
      var caser = event.target.closest && event.target.closest("[data-open-case]");
      if (caser) {
        var ids = selected.size ? Array.from(selected) : (cursorId ? [cursorId] : []);
        window.location.href = caser.dataset.openCase + "?" + ids.map(function (id) { return "alert=" + encodeURIComponent(id); }).join("&");
        return;
      }
      var closer = event.target.closest && event.target.closest("[data-close]");
      if (closer) { closer.closest("dialog").close(); }
      var row = event.target.closest && event.target.closest("#queue tr[data-id]");
      if (row && event.target.matches("input[type=checkbox]")) { cursorId = row.dataset.id; }
    });
    // Capture phase: runs before htmx reads the form's values.
    document.addEventListener("submit", function (event) {
      if (event.target === bulk()) { prepare(event.target, event.submitter); }
    }, true);
    // A refresh must not pull the list away while someone is deciding in a dialog.
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail.elt && event.detail.elt.id === "queue" && event.detail.requestConfig.verb === "get" && anyDialogOpen()) {
        event.preventDefault();
      }
    });
    document.body.addEventListener("htmx:afterSettle", function () {
      // Alerts that left the list (claimed by someone else, dismissed) leave the selection too.
      var present = new Set(rows().map(function (r) { return r.dataset.id; }));
      selected.forEach(function (id) { if (!present.has(id)) { selected.delete(id); } });
      if (afterAction && present.has(afterAction)) { cursorId = afterAction; }
      afterAction = null;
      restore();
      // A refreshed list comes back folded: open again the groups that were open.
      expanded.forEach(function (key) {
        var lead = document.querySelector('#queue tr[data-group="' + key + '"]');
        if (!lead) { expanded.delete(key); }
        else if (!lead.dataset.open) { showGroup(key, true); }
      });
    });
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      // After an action the whole selection is done with.
      if (event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
        selected.clear();
        matching = false;
        document.querySelectorAll("#bulk dialog[open]").forEach(function (d) { d.close(); });
        var dismissNote = document.getElementById("dismiss-note");
        var escalateNote = document.getElementById("escalate-note");
        var reason = document.getElementById("dismiss-reason");
        [dismissNote, escalateNote, reason].forEach(function (el) { if (el) { el.value = ""; } });
      }
    });

    keys["j"] = function () { move(1); };
    keys["k"] = function () { move(-1); };
    keys["x"] = function () { toggle(cursorRow()); };
    keys["l"] = function () { toggleGroup(cursorRow(), true); };
    keys["h"] = function () { toggleGroup(cursorRow(), false); };
    keys["a"] = function () { var all = document.getElementById("select-matching"); if (all) { all.click(); } };
    keys["c"] = function () { submit("do-claim"); };
    keys["u"] = function () { submit("do-release"); };
    keys["d"] = function () { openDialog("dismiss-dialog"); };
    keys["e"] = function () { openDialog("escalate-dialog"); };
    keys["o"] = function () { var row = cursorRow(); if (row) { window.location = row.dataset.href; } };
    keys["n"] = function () { var next = document.getElementById("claim-next"); if (next) { next.requestSubmit(); } };
  });
})();
