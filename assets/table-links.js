// Drill-down links inside table panels (markdown cells of a DataTable) open in the app like dcc.Link
// does: a history entry and Dash's own location event, no page reload. Modified clicks (new tab,
// new window) and links to other origins keep the browser's behaviour.
(function () {
    document.addEventListener("click", function (event) {
        var link = event.target.closest && event.target.closest(".dash-table-container a.entity-link");
        if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
        var url = new URL(link.href, window.location.href);
        if (url.origin !== window.location.origin) { return; }
        event.preventDefault();
        window.history.pushState({}, "", url.pathname + url.search + url.hash);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    });
})();
