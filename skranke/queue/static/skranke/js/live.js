// A live stream (server-sent events) that never gives up: the browser resumes by itself after
// short drops (sending Last-Event-ID); when it gives up (readyState CLOSED, e.g. after a 502
// during a restart) a new EventSource resumes from the last event seen.
(function () {
  "use strict";
  // The centre's public stream sends calls, counter and queue changes, and "changed" for the
  // rest (skranke.queue.hub.PUBLIC_KINDS); a citizen's stream sends its own ticket's events.
  var KINDS = [
    "snapshot", "ticket", "changed", "issued", "called", "recalled", "serving", "parked",
    "resumed", "transferred", "no_show", "reinstated", "cancelled", "finished", "counter_opened",
    "counter_paused", "counter_resumed", "counter_closed", "queue_closed"
  ];

  window.SkrankeLive = function (url, onMessage, onState) {
    var lastId = null;
    var source = null;
    var retryMs = 2000;

    function connect() {
      var target = url;
      if (lastId) {
        target += (url.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastId);
      }
      source = new EventSource(target);
      source.addEventListener("open", function () {
        retryMs = 2000;
        if (onState) { onState("open"); }
      });
      KINDS.forEach(function (kind) {
        source.addEventListener(kind, function (event) {
          if (event.lastEventId) { lastId = event.lastEventId; }
          var data = null;
          try { data = JSON.parse(event.data); } catch (error) { data = null; }
          onMessage(kind, data);
        });
      });
      source.addEventListener("error", function () {
        if (source.readyState === EventSource.CLOSED) {
          if (onState) { onState("closed"); }
          window.setTimeout(connect, retryMs);
          retryMs = Math.min(retryMs * 2, 30000);
        } else if (onState) {
          onState("reconnecting");
        }
      });
    }

    connect();
    return { close: function () { if (source) { source.close(); } } };
  };

  // A short two-tone chime made in the browser, so no sound file is needed.
  window.SkrankeChime = function () {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return false; }
    var context = window.SkrankeChime.context || (window.SkrankeChime.context = new Context());
    if (context.state === "suspended") { context.resume(); }
    [[880, 0], [660, 0.25]].forEach(function (tone) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, context.currentTime + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.3, context.currentTime + tone[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + tone[1] + 0.5);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(context.currentTime + tone[1]);
      oscillator.stop(context.currentTime + tone[1] + 0.55);
    });
    return context.state === "running";
  };
})();
