// Kiosk helpers: back to the start screen after inactivity, one number per tap, and printing.
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

  // A second tap while the first is on its way would draw a second number: let only the first
  // submission of a form through. The pressed button is not disabled, since a disabled
  // submitter would drop its value (the chosen service) from the request.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-submitted")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitted", "");
      form.setAttribute("aria-busy", "true");
    });
  });
  // Coming back to the page from the browser's back-forward cache makes the buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      form.removeAttribute("data-submitted");
      form.removeAttribute("aria-busy");
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
