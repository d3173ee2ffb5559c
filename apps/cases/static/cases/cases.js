// Case pages: single-key shortcuts named by data-shortcut on links and fields.
(function () {
  "use strict";
  window.riskdesk = window.riskdesk || { keys: {} };
  document.querySelectorAll("[data-shortcut]").forEach(function (el) {
    window.riskdesk.keys[el.dataset.shortcut] = function () {
      if (el.tagName === "A") { el.click(); } else { el.focus(); }
    };
  });
})();
