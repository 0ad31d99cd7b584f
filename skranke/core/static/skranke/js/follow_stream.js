// Following a centre's live stream on a staff page (the live floor, the appointments' day view):
// window.skrankeFollowStream(page, refresh) opens the stream named by the page's
// data-live-events, calls refresh() on every snapshot (the first too: something may have
// happened between rendering the page and the stream's start, and a later one follows a gap)
// and on every event of the kinds in data-live-kinds, and says "open" or "reconnecting" through
// say(state). After a lost connection it reconnects from the last event seen.
(function () {
  "use strict";

  var stateLine = document.getElementById("live-state");

  function say(state) {
    if (!stateLine) { return; }
    var text = stateLine.getAttribute("data-text-" + state);
    if (text && stateLine.textContent !== text) { stateLine.textContent = text; }
    stateLine.classList.toggle("live-state-lost", state !== "open");
  }

  window.skrankeFollowStream = function (page, refresh) {
    if (!window.EventSource) { return; }
    var streamUrl = page.getAttribute("data-live-events");
    var kinds = (page.getAttribute("data-live-kinds") || "").split(/\s+/).filter(Boolean);
    var lastEventId = "";
    var connect = function () {
      var address = streamUrl;
      if (lastEventId) {
        address += (address.indexOf("?") === -1 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastEventId);
      }
      var source = new EventSource(address);
      source.addEventListener("open", function () { say("open"); });
      source.addEventListener("snapshot", function (event) {
        if (event.lastEventId) { lastEventId = event.lastEventId; }
        refresh();
        say("open");
      });
      kinds.forEach(function (kind) {
        source.addEventListener(kind, function (event) {
          if (event.lastEventId) { lastEventId = event.lastEventId; }
          refresh();
        });
      });
      source.addEventListener("error", function () {
        say("reconnecting");
        if (source.readyState === EventSource.CLOSED) {
          source.close();
          window.setTimeout(connect, 2000);
        }
      });
    };
    connect();
  };
})();
