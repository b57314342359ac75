/* Panel menus: open/close, keyboard (arrows, Home/End, Escape returns to the button), and PNG
   pictures of a panel's chart (Plotly's toImage, in the browser). The items themselves are built by
   a clientside callback when a menu first opens (components/panel_menu.py). */
(function () {
    "use strict";

    function items(menu) {
        return Array.prototype.slice.call(menu.querySelectorAll("[data-action]:not([disabled])"));
    }

    function close(menu, focusButton) {
        if (!menu || !menu.classList.contains("show")) { return; }
        menu.classList.remove("show");
        var button = menu.previousElementSibling;
        if (button) {
            button.setAttribute("aria-expanded", "false");
            if (focusButton) { button.focus(); }
        }
    }

    function closeAll(except) {
        document.querySelectorAll(".panel-menu.show").forEach(function (m) { if (m !== except) { close(m); } });
    }

    function focusFirst(menu, tries) {
        var list = items(menu);
        if (list.length) { list[0].focus(); return; }
        if (tries > 0) { window.requestAnimationFrame(function () { focusFirst(menu, tries - 1); }); }
    }

    function escapeText(text) {
        return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    }

    /* A PNG (data URL) of a panel's chart, titled with the panel's title (and a stat's value). */
    function panelPicture(panelId) {
        var panel = document.querySelector('[data-panel="' + CSS.escape(panelId) + '"]');
        var gd = panel && (panel.querySelector(".panel-graph .js-plotly-plot") ||
                           panel.querySelector(".stat-spark .js-plotly-plot") ||
                           panel.querySelector(".js-plotly-plot"));
        if (!gd || !window.Plotly || !gd.data) { return Promise.reject(new Error("no chart in this panel")); }
        var title = panel.querySelector(".panel-title");
        var value = panel.querySelector(".stat-value");
        var text = escapeText(title ? title.textContent : panelId) +
            (value ? ": " + escapeText(value.textContent) : "");
        var layout = JSON.parse(JSON.stringify(gd.layout || {}));
        var width = Math.max(gd.offsetWidth || 0, 640);
        var height = Math.max(layout.height || gd.offsetHeight || 0, 240) + 50;
        layout.title = {text: text, x: 0.01, xanchor: "left", font: {size: 14}};
        layout.margin = Object.assign({}, layout.margin || {}, {t: 50});
        layout.width = width;
        layout.height = height;
        return window.Plotly.toImage({data: gd.data, layout: layout},
                                     {format: "png", width: width, height: height});
    }
    window.dataopsPanelPicture = panelPicture;

    function download(url, name) {
        var a = document.createElement("a");
        a.href = url;
        a.download = name;
        document.body.appendChild(a);
        a.click();
        a.remove();
    }

    document.addEventListener("click", function (event) {
        var toggle = event.target.closest(".panel-menu-toggle");
        if (toggle) {
            var menu = toggle.nextElementSibling;
            var open = !menu.classList.contains("show");
            closeAll(menu);
            menu.classList.toggle("show", open);
            toggle.setAttribute("aria-expanded", open ? "true" : "false");
            if (open) { focusFirst(menu, 60); }
            return;
        }
        var action = event.target.closest(".panel-menu [data-action]");
        if (action) {
            var owner = action.closest("[data-panel]");
            if (action.getAttribute("data-action") === "png" && owner) {
                var id = owner.getAttribute("data-panel");
                panelPicture(id).then(function (url) { download(url, id + ".png"); }, function () {});
            }
            close(action.closest(".panel-menu"), false);
            return;
        }
        closeAll(null);
    });

    document.addEventListener("keydown", function (event) {
        var menu = event.target.closest && event.target.closest(".panel-menu");
        if (!menu && event.target.classList && event.target.classList.contains("panel-menu-toggle")
                && event.key === "ArrowDown") {
            event.preventDefault();
            var next = event.target.nextElementSibling;
            if (!next.classList.contains("show")) { event.target.click(); } else { focusFirst(next, 60); }
            return;
        }
        if (!menu) {
            if (event.key === "Escape") {
                var open = document.querySelector(".panel-menu.show");
                if (open) { close(open, true); }
            }
            return;
        }
        var list = items(menu);
        var at = list.indexOf(document.activeElement);
        if (event.key === "Escape") {
            event.preventDefault();
            close(menu, true);
        } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            var step = event.key === "ArrowDown" ? 1 : -1;
            if (list.length) { list[(at + step + list.length) % list.length].focus(); }
        } else if (event.key === "Home" || event.key === "End") {
            event.preventDefault();
            if (list.length) { list[event.key === "Home" ? 0 : list.length - 1].focus(); }
        } else if (event.key === "Tab") {
            close(menu, false);
        }
    });
})();
