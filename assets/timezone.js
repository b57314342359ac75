// Grafana's `timezone=browser`: the server needs the browser's zone to draw days and axes in it.
// Set before the app's first request, so the first page already knows it. Inside the portal's
// iframe (another site) only a `SameSite=None; Secure` cookie is sent, which needs https.
(function () {
    try {
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
            var site = window.location.protocol === "https:" ? "; SameSite=None; Secure" : "; SameSite=Lax";
            document.cookie = "dataops_tz=" + zone + "; path=/; max-age=31536000" + site;
        }
    } catch (e) { /* no Intl: the server shows UTC and says so */ }
})();
