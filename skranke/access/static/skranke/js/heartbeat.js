// A paired kiosk, display or counter tablet tells the server it is alive, so the live floor can
// flag one that falls silent. Included only on pages a paired device opened
// (access/_heartbeat.html), with the URL, the interval and the CSRF token on its script tag.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var url = script.getAttribute("data-heartbeat-url");
  var seconds = parseInt(script.getAttribute("data-heartbeat-seconds") || "", 10);
  var token = script.getAttribute("data-csrf-token") || "";
  if (!url || !(seconds > 0)) { return; }

  function beat() {
    try {
      fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store"
      }).catch(function () { /* Offline: the next beat tries again. */ });
    } catch (error) { /* Refused before it was sent: the next beat tries again. */ }
  }
  beat();
  window.setInterval(beat, seconds * 1000);
})();
