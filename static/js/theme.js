// Runs before first paint so a night shift never sees a white flash.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("riskdesk-theme"); } catch (e) {}
  var prefersLight = window.matchMedia && window.matchMedia("(prefers-color-scheme: light)").matches;
  document.documentElement.dataset.theme = saved || (prefersLight ? "light" : "dark");
})();
