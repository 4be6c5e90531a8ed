/* Pulse: a dashboard's filters live in the address bar.
 *
 * The filters' callback computes the query string they stand for
 * (?range=30d&platforms=meta); writeAddress puts it in the browser's history: the
 * entry the page opened on is replaced (so a hand-written link becomes the tidy one),
 * every later change is a new entry. It writes the history directly rather than
 * through a dcc.Location, because the page router re-renders the whole page whenever
 * its location changes, and a filter change must only refresh the widgets.
 *
 * Back and Forward between two entries of the same dashboard are caught here before
 * the router sees them: the address goes to the "filter-address" store, and the
 * filters' callback sets the filter bar from it (checking every value again). Going
 * back to another page is left to the router. Loaded by Dash from assets/, as a file:
 * the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  // The dashboard page on screen, whose entries this script wrote.
  var shownPath = null;

  function entry(path) {
    return { pulseFilters: true, path: path };
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.pulseFilters = {
    // A click on a chart, a table cell, a chip's ×, "Clear all" or a breadcrumb, for
    // the filters' callback: only a real click (a widget or chip drawn anew reports an
    // empty one, and asks the server nothing).
    lastClick: function () {
      var noUpdate = window.dash_clientside.no_update;
      var triggered = window.dash_clientside.callback_context.triggered || [];
      for (var i = 0; i < triggered.length; i += 1) {
        var item = triggered[i];
        if (!item.value) {
          continue;
        }
        var component = item.prop_id.slice(0, item.prop_id.lastIndexOf("."));
        try {
          component = JSON.parse(component);
        } catch (error) {
          continue;
        }
        return { id: component, value: item.value, at: Date.now() };
      }
      return noUpdate;
    },
    writeAddress: function (query) {
      var noUpdate = window.dash_clientside.no_update;
      if (typeof query !== "string" || query.charAt(0) !== "?") {
        return noUpdate;
      }
      var path = window.location.pathname;
      var state = window.history.state;
      var ours = state && state.pulseFilters && state.path === path;
      if (!ours || shownPath !== path) {
        // The page was just opened (a link, a reload, the router): its own entry.
        window.history.replaceState(entry(path), "", path + query + window.location.hash);
      } else if (query !== window.location.search) {
        window.history.pushState(entry(path), "", path + query);
      }
      shownPath = path;
      return query;
    },
  };

  window.addEventListener("popstate", function (event) {
    var state = event.state;
    if (
      !state ||
      !state.pulseFilters ||
      state.path !== shownPath ||
      window.location.pathname !== shownPath ||
      document.getElementById("filter-query") === null
    ) {
      shownPath = null;
      return; // another page: the router draws it
    }
    // Registered before Dash's own listeners (assets load before the renderer), so
    // the page router never sees this change and the page is not re-rendered.
    event.stopImmediatePropagation();
    // With the time, so going back to the address last read is still a change.
    window.dash_clientside.set_props("filter-address", {
      data: { search: window.location.search, at: Date.now() },
    });
  });
})();
