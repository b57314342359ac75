/* Drill-down links of table panels and charts (rendered as one HTML component, see components/tables.py) open
 * inside the app as dcc.Link's do: the URL changes without reloading the page. A click with a
 * modifier key keeps the browser's own behaviour (new tab, new window). */
(function () {
    "use strict";
    document.addEventListener("click", function (e) {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
        var link = e.target.closest && e.target.closest(".app-links a.entity-link");
        if (!link) { return; }
        var href = link.getAttribute("href");
        if (!href || href.charAt(0) !== "/" || href.charAt(1) === "/") { return; }
        e.preventDefault();
        window.history.pushState({}, "", href);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    });
})();
