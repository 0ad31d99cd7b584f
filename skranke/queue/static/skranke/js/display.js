// The display screen: show each call at once, chime and speak it, keep the queues current,
// and keep the clock. Runs unattended all day; its heartbeat is heartbeat.js's.
(function () {
  "use strict";
  var body = document.body;
  if (!body.hasAttribute("data-display") || !window.SkrankeLive) { return; }
  var calls = document.querySelector("[data-calls]");
  var queues = document.querySelector("[data-queues]");
  var offline = document.querySelector("[data-offline]");
  var soundButton = document.querySelector("[data-sound-button]");
  var soundOn = false;
  var refreshTimer = null;
  var MAX_CALLS = 6;

  function text(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) { return values[key]; });
  }

  function cell(row, value, className) {
    var td = document.createElement("td");
    td.textContent = value;
    if (className) {
      var span = document.createElement("span");
      span.className = className;
      span.textContent = value;
      td.textContent = "";
      td.appendChild(span);
    }
    row.appendChild(td);
    return td;
  }

  function showCall(number, counter) {
    var row = document.createElement("tr");
    cell(row, number);
    cell(row, counter);
    Array.prototype.forEach.call(calls.querySelectorAll(".call-latest"), function (old) {
      old.classList.remove("call-latest");
    });
    row.className = "call-latest";
    calls.insertBefore(row, calls.firstChild);
    while (calls.children.length > MAX_CALLS) { calls.removeChild(calls.lastChild); }
  }

  // "P003" is spoken "P 3", which reads naturally in Danish and English alike.
  function spokenNumber(number) {
    var match = /^([A-ZÆØÅ]+)0*(\d+)$/.exec(number || "");
    return match ? match[1].split("").join(" ") + " " + match[2] : number;
  }

  function announce(number, counter) {
    if (!soundOn) { return; }
    window.SkrankeChime();
    if (!window.speechSynthesis) { return; }
    var words = text(body.getAttribute("data-say"), { number: spokenNumber(number), counter: counter });
    var utterance = new SpeechSynthesisUtterance(words);
    utterance.lang = body.getAttribute("data-language") === "en" ? "en-GB" : "da-DK";
    window.setTimeout(function () { window.speechSynthesis.speak(utterance); }, 900);
  }

  function renderQueues(state) {
    while (queues.firstChild) { queues.removeChild(queues.firstChild); }
    state.queues.forEach(function (queue) {
      if (queue.kind !== "front") { return; }
      var row = document.createElement("tr");
      var name = document.createElement("td");
      var prefix = document.createElement("span");
      prefix.className = "queue-prefix";
      prefix.textContent = queue.prefix;
      name.appendChild(prefix);
      name.appendChild(document.createTextNode(" "));
      var label = document.createElement("span");
      label.className = "queue-name";
      label.textContent = queue.name;
      name.appendChild(label);
      row.appendChild(name);
      cell(row, String(queue.waiting));
      var wait = queue.closed_reason ? body.getAttribute("data-closed-queue")
        : queue.expected_wait_minutes === null ? body.getAttribute("data-unknown")
        : queue.expected_wait_minutes === 0 ? body.getAttribute("data-no-wait")
        : text(body.getAttribute("data-minutes"), { minutes: queue.expected_wait_minutes });
      cell(row, wait);
      queues.appendChild(row);
    });
  }

  function renderCalls(state) {
    while (calls.firstChild) { calls.removeChild(calls.firstChild); }
    state.recent_calls.slice().reverse().forEach(function (call) { showCall(call.number, call.counter); });
  }

  function refreshSoon() {
    if (refreshTimer) { return; }
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      fetch(body.getAttribute("data-status-url"), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) { if (state) { renderQueues(state); } })
        .catch(function () { /* The next event tries again. */ });
    }, 400);
  }

  window.SkrankeLive(body.getAttribute("data-stream-url"), function (kind, data) {
    if (kind === "snapshot" && data) {
      renderCalls(data);
      renderQueues(data);
      return;
    }
    if ((kind === "called" || kind === "recalled" || kind === "resumed") && data && data.counter) {
      showCall(data.number, data.counter);
      announce(data.number, data.counter);
    }
    refreshSoon();
  }, function (state) {
    offline.hidden = state === "open";
  });

  soundButton.addEventListener("click", function () {
    soundOn = true;
    window.SkrankeChime();
    soundButton.hidden = true;
  });

  function tick() {
    var now = new Date();
    document.querySelector("[data-clock]").textContent =
      String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }
  tick();
  window.setInterval(tick, 1000);
})();
