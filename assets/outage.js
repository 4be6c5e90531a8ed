/* Pulse: keep the user informed while the server cannot answer.
 *
 * A dashboard's widgets are filled by Dash callbacks. When one (or any other request
 * of Dash's) is answered 503 (Pulse cannot reach its database) or not at all (the
 * server is unreachable), a banner "Data is unavailable — retrying…" is shown above
 * the page and /healthz is polled every few seconds; once it answers 200 the banner
 * goes and the widgets are refreshed (the dashboard's Refresh button, or a reload on a
 * page that has none). Loaded by Dash from assets/, as a file: the
 * Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var POLL_MILLISECONDS = 3000;
  // Dash's own requests: callbacks, and the layout and dependencies it loads first.
  var DASH_PATH = "/_dash-";
  var originalFetch = window.fetch.bind(window);
  var banner = null;
  var poller = null;

  function showBanner(message) {
    if (banner === null) {
      banner = document.createElement("div");
      banner.id = "pulse-outage-banner";
      banner.className = "pulse-outage-banner alert alert-warning";
      banner.setAttribute("role", "alert");
      // Above the page, not over it: nothing on screen is hidden by the banner.
      document.body.insertBefore(banner, document.body.firstChild);
    }
    banner.textContent = message;
    banner.hidden = false;
  }

  function recovered() {
    window.clearInterval(poller);
    poller = null;
    if (banner !== null) {
      banner.hidden = true;
    }
    var refresh = document.getElementById("dashboard-refresh-button");
    if (refresh !== null) {
      refresh.click();
    } else {
      window.location.reload();
    }
  }

  function checkHealth() {
    originalFetch("/healthz", { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 200 && poller !== null) {
          recovered();
        }
      })
      .catch(function () {
        /* still down: the next tick asks again */
      });
  }

  function outage(message) {
    showBanner(message);
    if (poller === null) {
      poller = window.setInterval(checkHealth, POLL_MILLISECONDS);
    }
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var answer = originalFetch(input, init);
    if (String(url).indexOf(DASH_PATH) === -1) {
      return answer;
    }
    return answer.then(
      function (response) {
        if (response.status === 503) {
          outage("Data is unavailable — Pulse cannot reach its database. Retrying…");
        }
        return response;
      },
      function (error) {
        outage("Data is unavailable — Pulse is not answering. Retrying…");
        throw error;
      }
    );
  };
})();
