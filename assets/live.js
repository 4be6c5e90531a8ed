/* Pulse: the browser's side of keeping a dashboard current (callbacks/dashboard.py).
 *
 * - pollVersion: on a realtime dashboard, every second, ask /live/version with the tag
 *   last seen; a 304 (nothing changed, no body) leaves everything as it is, a new tag
 *   runs the dashboard's refresh tick at once.
 * - wantedIfChanged: after a tick found some widget's data key changed, redraw only
 *   the widgets whose new key differs from the one they show (none: still empty, or an
 *   error card, tried again), or whose data was stale when drawn (the cache has
 *   recomputed it since).
 * - forgetDigestIfStale: a widget drawn from stale data, or showing an error card,
 *   makes the next tick answer with the keys, so that widget is drawn again.
 * - showAge: "updated 2 min ago" on each widget, counted up here from when its data was
 *   computed, without asking the server; showUpdated: the dashboard's "Updated" label,
 *   when its newest data was computed, in the org's time zone. Both change the page
 *   only when their text changes: every prop Dash updates walks the page's layout,
 *   which on a 45-widget dashboard holds every figure.
 * Loaded by Dash from assets/, as a file: the Content-Security-Policy allows no inline
 * script.
 */
(function () {
  "use strict";

  var VERSION_PATH = "/live/version";
  // Signed out (401): stop asking every second; the next page load signs in again.
  var signedOut = false;

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function ageText(seconds) {
    if (seconds < 45) {
      return "updated just now";
    }
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) {
      return "updated " + minutes + " min ago";
    }
    var hours = Math.round(minutes / 60);
    if (hours < 48) {
      return "updated " + hours + " h ago";
    }
    return "updated " + Math.round(hours / 24) + " days ago";
  }

  function pollVersion(_n, version) {
    if (signedOut) {
      return noUpdate();
    }
    var headers = version ? { "If-None-Match": '"' + version + '"' } : {};
    return fetch(VERSION_PATH, {
      headers: headers,
      cache: "no-store",
      credentials: "same-origin",
    })
      .then(function (response) {
        if (response.status === 401) {
          signedOut = true;
        }
        if (response.status !== 200) {
          return noUpdate(); // 304: nothing new; 401 and errors: the tick still runs
        }
        return response.text().then(function (tag) {
          return tag && tag !== version ? tag : noUpdate();
        });
      })
      .catch(function () {
        return noUpdate(); // unreachable: outage.js says so; the interval still ticks
      });
  }

  function wantedIfChanged(keys, shownKey, computed, id) {
    var key = keys ? keys[String(id.index)] : undefined;
    if (key === undefined) {
      return noUpdate();
    }
    if (key !== shownKey || (computed && computed.stale)) {
      // A new value each time: the widget's callback runs on every request to redraw.
      return key + "@" + Date.now();
    }
    return noUpdate();
  }

  function forgetDigestIfStale(computedList) {
    // Stale data, or an error card (no data at all): the next tick answers with the
    // keys even if none changed, so wantedIfChanged draws those widgets again.
    var retry = (computedList || []).some(function (c) {
      return !c || c.stale;
    });
    return retry ? null : noUpdate();
  }

  function clockText(seconds, timezone) {
    var options = {
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    };
    try {
      options.timeZone = timezone || undefined;
      return new Intl.DateTimeFormat("en-GB", options).format(seconds * 1000);
    } catch (error) {
      delete options.timeZone; // a zone this browser does not know: its own
      return new Intl.DateTimeFormat("en-GB", options).format(seconds * 1000);
    }
  }

  function unchanged() {
    // Nothing to update: Dash applies no prop (each update walks the page's layout).
    throw window.dash_clientside.PreventUpdate;
  }

  function showAge(_n, computed, shownText) {
    if (!computed || typeof computed.at !== "number") {
      return shownText ? ["", "widget-age"] : unchanged();
    }
    var age = Math.max(0, Date.now() / 1000 - computed.at);
    var text = ageText(age) + (computed.stale ? " · refreshing" : "");
    if (text === shownText) {
      unchanged();
    }
    return [text, computed.stale ? "widget-age widget-age-stale" : "widget-age"];
  }

  function showUpdated(_n, computedList, timezone, shownLabel) {
    var now = Date.now() / 1000;
    var newest = null;
    var oldest = null;
    (computedList || []).forEach(function (computed) {
      if (computed && typeof computed.at === "number") {
        newest = newest === null ? computed.at : Math.max(newest, computed.at);
        var age = now - computed.at;
        oldest = oldest === null ? age : Math.max(oldest, age);
      }
    });
    // When the dashboard's newest data was computed, in the org's time zone, and how
    // old its oldest is once that is worth saying.
    var label = "";
    if (newest !== null) {
      label = "Updated " + clockText(newest, timezone) + " (" + timezone + ")";
      if (oldest >= 90) {
        label += " · oldest data " + ageText(oldest).slice("updated ".length);
      }
    }
    return label === shownLabel ? unchanged() : label;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    pulse: {
      pollVersion: pollVersion,
      wantedIfChanged: wantedIfChanged,
      forgetDigestIfStale: forgetDigestIfStale,
      showAge: showAge,
      showUpdated: showUpdated,
    },
  });
})();
