// Kiosk helpers: back to the start screen after inactivity, and a print button.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var startUrl = body.getAttribute("data-start-url");
  var timer = null;

  function restart() {
    if (timer) { window.clearTimeout(timer); }
    if (idleSeconds > 0 && startUrl && window.location.pathname !== new URL(startUrl, window.location.href).pathname) {
      timer = window.setTimeout(function () { window.location.assign(startUrl); }, idleSeconds * 1000);
    }
  }

  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
