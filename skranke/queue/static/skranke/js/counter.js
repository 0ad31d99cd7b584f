// Staff pages (counter, floor guide): keyboard shortcuts, live refresh of the counter's queue
// panel from the centre's event stream, and printing. The pages work without this script; it
// only saves keystrokes and reloads. No inline handlers: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  if (window.htmx) {
    // htmx copies the style attribute of an element it replaces onto the new one while settling;
    // the CSP forbids style attributes (even an empty one, as tools and browser extensions
    // leave behind), so only classes and sizes are settled.
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  // Printing: the floor guide's issued number, as the kiosk prints it.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) {
      window.print();
    }
  });

  // Keyboard shortcuts --------------------------------------------------------------------------
  // An element with data-shortcut="n" is clicked (a button), checked and focused (a radio) or
  // focused (a field) when N is pressed; data-focus-shortcut only focuses. Keys typed into a
  // text field or list stay there; Esc leaves the field so the shortcuts work again.

  var NOT_TYPING = ["button", "submit", "reset", "radio", "checkbox"];

  function isTyping(element) {
    if (!(element instanceof HTMLElement)) { return false; }
    if (element.isContentEditable) { return true; }
    if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) { return true; }
    return element instanceof HTMLInputElement && NOT_TYPING.indexOf(element.type) === -1;
  }

  function shortcutTarget(attribute, key) {
    var found = null;
    document.querySelectorAll("[" + attribute + "]").forEach(function (element) {
      if (!found && element.getAttribute(attribute).toLowerCase() === key) { found = element; }
    });
    return found;
  }

  function activate(element) {
    if (element instanceof HTMLButtonElement || element instanceof HTMLAnchorElement) {
      element.click();
    } else if (element instanceof HTMLInputElement && element.type === "radio") {
      element.checked = true;
      element.focus();
    } else {
      element.focus();
    }
  }

  function focusGroup(element) {
    // Focus the chosen radio of the group if there is one, as Tab would.
    if (element instanceof HTMLInputElement && element.type === "radio" && element.form) {
      var checked = element.form.querySelector('input[type="radio"][name="' + element.name + '"]:checked');
      (checked || element).focus();
      return;
    }
    element.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (event.key === "Escape" && isTyping(target)) {
      target.blur();
      return;
    }
    if (event.key === "Enter" && target instanceof HTMLInputElement && target.type === "radio" &&
        target.form && target.form.hasAttribute("data-enter-submits")) {
      // Browsers differ on whether Enter on a radio submits; on the finish form it always does.
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    if (isTyping(target) || event.key.length !== 1) { return; }
    var key = event.key.toLowerCase();
    var element = shortcutTarget("data-shortcut", key);
    if (element) {
      event.preventDefault();
      activate(element);
      return;
    }
    element = shortcutTarget("data-focus-shortcut", key);
    if (element) {
      event.preventDefault();
      focusGroup(element);
    }
  });

  // Live refresh --------------------------------------------------------------------------------
  var page = document.querySelector("[data-live-events]");
  if (!page) { return; }

  var eventsSeen = 0;

  function refreshQueuePanel() {
    var panel = document.getElementById("queue-panel");
    if (panel && window.htmx) { window.htmx.trigger(panel, "refresh"); }
  }

  if (window.EventSource) {
    var streamUrl = page.getAttribute("data-live-events");
    var kinds = (page.getAttribute("data-live-kinds") || "").split(/\s+/).filter(Boolean);
    var lastEventId = "";
    var snapshotSeen = false;

    var remember = function (event) {
      if (event.lastEventId) { lastEventId = event.lastEventId; }
    };
    var connect = function () {
      var address = streamUrl;
      if (lastEventId) {
        address += (address.indexOf("?") === -1 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastEventId);
      }
      var source = new EventSource(address);
      source.addEventListener("snapshot", function (event) {
        remember(event);
        // The first snapshot shows what the page already shows; a later one follows a gap.
        if (snapshotSeen) { refreshQueuePanel(); }
        snapshotSeen = true;
      });
      kinds.forEach(function (kind) {
        source.addEventListener(kind, function (event) {
          remember(event);
          eventsSeen += 1;
          refreshQueuePanel();
        });
      });
      source.addEventListener("error", function () {
        // The browser reconnects by itself unless it gave up (e.g. a 502 during a restart);
        // then a new stream resumes after the last event seen.
        if (source.readyState === EventSource.CLOSED) {
          source.close();
          window.setTimeout(connect, 2000);
        }
      });
    };
    connect();
  }

  // A refresh answered after an action replaced the working area lands in the old, detached
  // panel, harmlessly. So that no live event is lost that way, an action sent while events came
  // in refreshes the new panel once it is in place.
  var eventsAtAction = -1;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var request = event.detail && event.detail.requestConfig;
    if (request && request.verb === "post") { eventsAtAction = eventsSeen; }
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var request = event.detail && event.detail.requestConfig;
    if (request && request.verb === "post") {
      if (eventsAtAction !== -1 && eventsAtAction !== eventsSeen) { refreshQueuePanel(); }
      eventsAtAction = -1;
    }
    // Screen readers hear the waiting count from a region that stays in place; the panel's own
    // text is replaced on every refresh, which they would not announce reliably.
    var total = document.getElementById("queue-total");
    var live = document.getElementById("queue-live-status");
    if (request && request.verb === "get" && total && live && live.textContent !== total.textContent) {
      live.textContent = total.textContent;
    }
  });

  // After a signed-out session (idle timeout) an action would come back as the login page;
  // go there instead, returning to this counter afterwards.
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

  // An action whose button went away (e.g. Finish) leaves the focus nowhere; put it on the
  // counter's current-citizen heading so keyboard and screen-reader users keep their place.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var request = event.detail && event.detail.requestConfig;
    if (!request || request.verb !== "post") { return; }
    if (!document.activeElement || document.activeElement === document.body) {
      var heading = document.getElementById("current-heading");
      if (heading) { heading.focus({ preventScroll: true }); }
    }
  });
})();
