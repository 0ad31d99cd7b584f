// The live floor: the panel is fetched again whenever the centre's staff stream brings an
// event (no polling), and a device whose last heartbeat is older than the silent limit is
// flagged by the browser's clock. No inline handlers: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  var page = document.querySelector("[data-live-events]");
  if (!page) { return; }
  if (window.htmx) {
    // The CSP forbids style attributes; only classes and sizes are settled.
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }
  var panel = document.getElementById("floor-panel");
  var silentMs = (parseInt(page.getAttribute("data-silent-seconds"), 10) || 60) * 1000;

  // Devices ---------------------------------------------------------------------------------
  function flagSilentDevices() {
    var now = Date.now();
    document.querySelectorAll("tr[data-last-seen]").forEach(function (row) {
      var seen = Date.parse(row.getAttribute("data-last-seen"));
      var silent = isNaN(seen) || now - seen > silentMs;
      row.classList.toggle("device-silent", silent);
      var online = row.querySelector(".device-online");
      var offline = row.querySelector(".device-offline");
      if (online) { online.hidden = silent; }
      if (offline) { offline.hidden = !silent; }
    });
  }
  window.setInterval(flagSilentDevices, 5000);
  document.body.addEventListener("htmx:afterSettle", flagSilentDevices);

  // The stream ------------------------------------------------------------------------------
  var pending = null;
  function refresh() {
    // Several events in a burst (a call, then the screen's update) are fetched once.
    if (pending !== null) { return; }
    pending = window.setTimeout(function () {
      pending = null;
      if (panel && window.htmx) { window.htmx.trigger(panel, "refresh"); }
    }, 150);
  }

  window.skrankeFollowStream(page, refresh);

  // A refresh after the sign-in ran out comes back as the login page: go there instead.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var login = page.getAttribute("data-login-url");
    if (!xhr || !xhr.responseURL || !login) { return; }
    var landed = new URL(xhr.responseURL, window.location.href);
    if (landed.pathname === new URL(login, window.location.href).pathname) {
      event.detail.shouldSwap = false;
      window.location.assign(login + "?next=" + encodeURIComponent(window.location.pathname));
    }
  });
})();
