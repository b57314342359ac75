// Inside the portal's iframe: tell the parent how tall the page is, so the portal can size the frame
// without scrollbars. The message carries only a height and the current URL path (what a shared link
// would show), so any parent may receive it.
(function () {
    if (window.parent === window) { return; }
    var last = 0;
    function report() {
        var height = Math.ceil(document.documentElement.scrollHeight);
        if (height === last) { return; }
        last = height;
        window.parent.postMessage({type: "dataops-monitor:resize", height: height,
                                   path: window.location.pathname + window.location.search}, "*");
    }
    if (window.ResizeObserver) {
        new ResizeObserver(report).observe(document.documentElement);
    } else {
        window.addEventListener("resize", report);
        setInterval(report, 1000);
    }
    window.addEventListener("load", report);
})();
