// The staff day view, while it shows today: the summary and the table are fetched again
// whenever the centre's live stream brings an event or a snapshot, and every minute for what
// only the clock changes. A part is replaced only when it changed, so the summary (a polite
// live region) is announced only then, and a focused link in the table keeps its focus.
// No inline handlers: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  var page = document.querySelector(".day-view[data-live-events]");
  if (!page || !window.fetch || !window.DOMParser) { return; }
  var panelUrl = page.getAttribute("data-panel-url");
  var loginUrl = page.getAttribute("data-login-url");
  var refreshMs = (parseInt(page.getAttribute("data-refresh-seconds"), 10) || 60) * 1000;

  function focusedLink(container) {
    var active = document.activeElement;
    return active && container.contains(active) ? active.getAttribute("href") : null;
  }

  function replace(id, fresh) {
    var target = document.getElementById(id);
    if (!target || !fresh || target.innerHTML === fresh.innerHTML) { return; }
    var href = focusedLink(target);
    target.innerHTML = fresh.innerHTML;
    if (href) {
      var same = Array.prototype.find.call(target.querySelectorAll("a[href]"), function (link) {
        return link.getAttribute("href") === href;
      });
      if (same) { same.focus(); }
    }
  }

  var loading = false;
  var again = false;
  function load() {
    if (loading) { again = true; return; }
    loading = true;
    window.fetch(panelUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // After the sign-in ran out the answer is the login page: go there instead.
        var landed = new URL(response.url, window.location.href);
        if (loginUrl && landed.pathname === new URL(loginUrl, window.location.href).pathname) {
          window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        var fragment = new DOMParser().parseFromString(html, "text/html");
        replace("day-summary", fragment.querySelector('[data-part="day-summary"]'));
        replace("day-table", fragment.querySelector('[data-part="day-table"]'));
      })
      .catch(function () { /* The next event or the timer tries again. */ })
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  var pending = null;
  function refresh() {
    // Several events in a burst (a call, then the screen's update) are fetched once.
    if (pending !== null) { return; }
    pending = window.setTimeout(function () { pending = null; load(); }, 150);
  }
  window.setInterval(refresh, refreshMs);

  window.skrankeFollowStream(page, refresh);
})();
