/* Pulse kiosk display (/kiosk/<token>): clock, stale banner, retries, wall-size charts.
 *
 * Loaded only by the kiosk app (server/factory.py), as a file: the
 * Content-Security-Policy allows no inline script.
 *
 * - The clock and date in the org's time zone (the grid's data-timezone), every second,
 *   drawn here so that they cost the server nothing.
 * - The tick (POST /kiosk/_dash-update-component) fails while the app server, its
 *   database or the network is down. Its failure is answered here with an empty 204
 *   ("nothing changed"), so Dash keeps what is on screen and logs no error; a discreet
 *   banner says "Not updated since HH:MM". Retries back off: the next tick after the
 *   first failure, then every second tick, so a display recovers by itself within two
 *   ticks of the service returning, while a thousand displays halve their load on a
 *   server that is coming back. Nothing reloads the page but a deploy (the server says
 *   so in a tick's answer).
 * - Ticks never overlap: one asked while another is still running shares its answer
 *   (Dash would otherwise drop the running one, and a redraw slower than the tick
 *   would never reach the screen).
 * - Plotly's default font (13 px) is scaled to the screen's width, once per chart.
 */
(function () {
  "use strict";

  var TICK_PATH = "/kiosk/_dash-update-component";
  var originalFetch = window.fetch.bind(window);
  var failures = 0;
  var lastSuccess = new Date();
  var skipUntil = 0;

  function grid() {
    return document.querySelector(".kiosk-grid");
  }

  function timeZone() {
    var g = grid();
    return (g && g.getAttribute("data-timezone")) || undefined;
  }

  function tickMilliseconds() {
    var g = grid();
    var value = g ? parseInt(g.getAttribute("data-tick"), 10) : NaN;
    return isNaN(value) ? 10000 : value;
  }

  function format(date, options) {
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: timeZone() }, options)).format(date);
    } catch (error) {
      return new Intl.DateTimeFormat(undefined, options).format(date);
    }
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element !== null && element.textContent !== text) {
      element.textContent = text;
    }
  }

  function drawClock() {
    var now = new Date();
    if (grid() === null) {
      return;
    }
    setText("kiosk-clock", format(now, { hour: "2-digit", minute: "2-digit", hour12: false }));
    setText("kiosk-date", format(now, { weekday: "short", day: "numeric", month: "short", year: "numeric" }));
  }

  function showStale() {
    var since = format(lastSuccess, { hour: "2-digit", minute: "2-digit", hour12: false });
    setText("kiosk-stale", "Not updated since " + since + " · retrying");
    document.body.classList.add("kiosk-is-stale");
  }

  function clearStale() {
    setText("kiosk-stale", "");
    document.body.classList.remove("kiosk-is-stale");
  }

  function nothingChanged() {
    return Promise.resolve(new Response(null, { status: 204 }));
  }

  function failed() {
    failures += 1;
    // Retry at the next tick after the first failure, then every second tick (the
    // tick in between is answered here, without asking the server).
    skipUntil = failures > 1 ? Date.now() + tickMilliseconds() * 1.5 : 0;
    showStale();
    return nothingChanged();
  }

  // The tick in flight, shared: Dash drops a callback still running when the same
  // callback is asked again, so a redraw slower than the tick would never land. A
  // tick asked while another is running gets that one's answer instead.
  var inFlight = null;

  function askServer(input, init) {
    return originalFetch(input, init).then(
      function (response) {
        if (response.status >= 500 || response.status === 429) {
          return failed();
        }
        failures = 0;
        lastSuccess = new Date();
        clearStale();
        return response;
      },
      failed
    );
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (String(url).indexOf(TICK_PATH) === -1) {
      return originalFetch(input, init);
    }
    if (inFlight === null) {
      if (failures > 0 && Date.now() < skipUntil) {
        return nothingChanged();
      }
      var current = askServer(input, init);
      inFlight = current;
      current.then(
        function () {
          if (inFlight === current) {
            inFlight = null;
          }
        },
        function () {
          if (inFlight === current) {
            inFlight = null;
          }
        }
      );
    }
    return inFlight.then(function (response) {
      return response.clone();
    });
  };

  // Charts: Plotly's default font, scaled once per chart to the screen's width but
  // never larger than the chart's height has room for (a dashboard with many rows
  // gets short charts on a 1080p screen), no more value-axis ticks than the plot's
  // height has room for at that size (a short chart otherwise stacks its labels on
  // each other), dates on one line ("Nov 29", not "Nov 29" over "2026", which a short
  // chart cuts off), and a gauge's number sized to its dial.
  var DATE_TICKS = [
    { dtickrange: [null, 86400000], value: "%H:%M" },
    { dtickrange: [86400000, "M1"], value: "%b %-d" },
    { dtickrange: ["M1", null], value: "%b %Y" }
  ];

  function scaleCharts() {
    if (!window.Plotly) {
      return;
    }
    var byWidth = Math.round(13 * Math.max(1, window.innerWidth / 1600));
    var charts = document.querySelectorAll(".kiosk-grid .js-plotly-plot");
    for (var i = 0; i < charts.length; i += 1) {
      var chart = charts[i];
      if (!chart.layout || !chart._fullLayout) {
        continue;
      }
      var height = chart.clientHeight || 0;
      var size = height ? Math.min(byWidth, Math.max(12, Math.floor(height / 9))) : byWidth;
      var plot = chart._fullLayout._size || {};
      var ticks = plot.h ? Math.max(2, Math.floor(plot.h / (size * 2.4))) : 0;
      var wanted = size + ":" + ticks + ":" + height;
      // A chart Dash redrew with new data is back at the figure's own settings.
      if ((chart.layout.font || {}).size === size && chart.dataset.kioskScaled === wanted) {
        continue;
      }
      var update = { "font.size": size };
      Object.keys(chart._fullLayout).forEach(function (key) {
        if (ticks && /^yaxis[0-9]*$/.test(key)) {
          update[key + ".nticks"] = ticks;
        }
        if (/^xaxis[0-9]*$/.test(key) && chart._fullLayout[key].type === "date") {
          update[key + ".tickformatstops"] = DATE_TICKS;
        }
      });
      chart.dataset.kioskScaled = wanted;
      var gauges = [];
      (chart.data || []).forEach(function (trace, index) {
        if (trace.type === "indicator") {
          gauges.push(index);
        }
      });
      if (gauges.length) {
        // The dial's top and end ticks sit outside its arc: room for them at this size.
        update["margin.t"] = Math.round(size * 1.8);
        update["margin.l"] = update["margin.r"] = Math.round(size * 3.6);
      }
      window.Plotly.relayout(chart, update);
      if (gauges.length && height) {
        window.Plotly.restyle(
          chart,
          {
            "number.font.size": Math.max(14, Math.round(height * 0.16)),
            "delta.font.size": size,
            "gauge.axis.tickfont.size": size
          },
          gauges
        );
      }
    }
  }

  window.setInterval(function () {
    drawClock();
    scaleCharts();
  }, 1000);
})();
