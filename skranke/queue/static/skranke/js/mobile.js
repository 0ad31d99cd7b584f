// The mobile ticket: follow the number live and say clearly when it is the citizen's turn.
(function () {
  "use strict";
  var root = document.querySelector("[data-ticket-root]");
  if (!root || !window.SkrankeLive) { return; }
  var status = root.getAttribute("data-status");
  var originalTitle = document.title;
  var refreshing = false;

  function field(name, value) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach(function (element) {
      element.textContent = value === null || value === undefined ? "" : String(value);
    });
  }

  function render(state) {
    var previous = status;
    status = state.status;
    document.querySelectorAll("[data-show]").forEach(function (element) {
      var shown = element.getAttribute("data-show").split(" ").indexOf(status) >= 0;
      if (shown && element.getAttribute("data-when-known") === "wait") {
        shown = state.expected_wait_minutes !== null && state.expected_wait_minutes !== undefined;
      }
      element.hidden = !shown;
    });
    field("position", state.position);
    field("wait", state.expected_wait_minutes);
    field("counter", state.counter);
    if ((status === "called") && previous !== "called") { announceTurn(); }
    if (status !== "called" && status !== "serving") { document.title = originalTitle; }
  }

  function announceTurn() {
    document.title = root.getAttribute("data-turn-title") + " " + originalTitle;
    if (navigator.vibrate) { navigator.vibrate([300, 150, 300, 150, 600]); }
    if (window.SkrankeChime) { window.SkrankeChime(); }
  }

  function refresh() {
    if (refreshing) { return; }
    refreshing = true;
    fetch(root.getAttribute("data-state-url"), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) { if (state) { render(state); } })
      .catch(function () { /* The stream will bring the next change. */ })
      .then(function () { refreshing = false; });
  }

  var note = document.querySelector("[data-live-note]");
  // "Keep it open" only while there is something still to come; render() keeps it so.
  if (note) { note.hidden = note.getAttribute("data-show").split(" ").indexOf(status) < 0; }
  window.SkrankeLive(root.getAttribute("data-stream-url"), function (kind, data) {
    if ((kind === "snapshot" || kind === "ticket") && data && data.status) {
      render(data);
    } else {
      refresh();
    }
  });
})();
