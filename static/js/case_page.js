// The case page's sections as tabs (the WAI-ARIA tabs pattern), and focus on the error
// summary of a refused form. Without this script the section nav is a list of anchors and
// every section shows; the error summary is announced by its role="alert".
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  function caseTabs(nav) {
    var links = Array.prototype.slice.call(nav.querySelectorAll("a[href^='#']"));
    var panels = links.map(function (a) { return document.getElementById(a.hash.slice(1)); });
    if (!links.length || panels.indexOf(null) !== -1) {
      return;
    }
    var list = nav.querySelector("ul");
    list.setAttribute("role", "tablist");
    links.forEach(function (a, i) {
      a.parentNode.setAttribute("role", "presentation");
      a.setAttribute("role", "tab");
      a.id = "tab-" + panels[i].id;
      a.setAttribute("aria-controls", panels[i].id);
      panels[i].setAttribute("role", "tabpanel");
      panels[i].setAttribute("aria-labelledby", a.id);
      panels[i].setAttribute("tabindex", "-1");
    });

    function select(index, focusTab) {
      links.forEach(function (a, i) {
        var on = i === index;
        a.setAttribute("aria-selected", on ? "true" : "false");
        a.setAttribute("tabindex", on ? "0" : "-1");
        panels[i].hidden = !on;
      });
      if (focusTab) {
        links[index].focus();
      }
    }

    // The panel holding the URL's fragment (a section, or a record or heading inside one).
    function indexForHash(hash) {
      var target = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
      if (!target) {
        return -1;
      }
      for (var i = 0; i < panels.length; i++) {
        if (panels[i] === target || panels[i].contains(target)) {
          return i;
        }
      }
      return -1;
    }

    links.forEach(function (a, i) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        select(i, false);
        if (history.replaceState) {
          history.replaceState(null, "", a.hash);
        }
      });
      a.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") { next = (i + 1) % links.length; }
        if (event.key === "ArrowLeft") { next = (i - 1 + links.length) % links.length; }
        if (event.key === "Home") { next = 0; }
        if (event.key === "End") { next = links.length - 1; }
        if (next !== null) {
          event.preventDefault();
          select(next, true);
        }
      });
    });

    function fromHash(scroll) {
      var index = indexForHash(location.hash);
      select(index === -1 ? 0 : index, false);
      if (index !== -1 && scroll) {
        var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
        if (target) {
          target.scrollIntoView();
        }
      }
    }
    // Links elsewhere on the page (the to-do panel, a record's anchor) open their tab.
    window.addEventListener("hashchange", function () { fromHash(true); });
    fromHash(true);
  }

  function init() {
    focusErrorSummary();
    var nav = document.querySelector("[data-case-tabs]");
    if (nav) {
      caseTabs(nav);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
