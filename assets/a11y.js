/* Keyboard and screen-reader fixes the components do not make themselves.
 * - Dash 4 dropdowns: the focus goes straight to the dropdown's button (a hidden, aria-hidden proxy
 *   input took the tab stop), and the button is named by its filter label as well as its value.
 * - Plotly's mode bar (the panel menu: download, zoom, reset) is a toolbar the keyboard reaches:
 *   one tab stop per chart, arrow keys between its buttons, Enter or Space presses one.
 * - Table panels' sort controls are buttons the keyboard reaches (Enter or Space sorts).
 * - The skip link moves the focus to the main content without changing the URL.
 */
(function () {
    "use strict";
    var labelCount = 0;

    function fixDropdown(proxy) {
        if (proxy.tabIndex !== -1) { proxy.tabIndex = -1; }
        var button = proxy.nextElementSibling;
        if (!button || button.tagName !== "BUTTON") { return; }
        if (!button.disabled && button.tabIndex !== 0) { button.tabIndex = 0; }
        if (button.dataset.a11yLabelled) { return; }
        var item = button.closest(".filter-item");
        var label = item && item.querySelector("label");
        if (!label) { return; }
        if (!label.id) { label.id = "a11y-label-" + (++labelCount); }
        button.setAttribute("aria-labelledby", label.id + " " + (button.getAttribute("aria-labelledby") || ""));
        button.dataset.a11yLabelled = "1";
    }

    function fixModebar(bar) {
        if (bar.dataset.a11y) { return; }
        var buttons = bar.querySelectorAll(".modebar-btn");
        if (!buttons.length) { return; }
        bar.dataset.a11y = "1";
        var panel = bar.closest("[data-panel]");
        var title = panel && panel.querySelector(".panel-title");
        bar.setAttribute("role", "toolbar");
        bar.setAttribute("aria-label", (title ? title.textContent + ": " : "") + "chart tools");
        buttons.forEach(function (b, i) {
            b.setAttribute("role", "button");
            b.setAttribute("aria-label", b.getAttribute("data-title") || "chart tool");
            b.tabIndex = i === 0 ? 0 : -1;
        });
        bar.addEventListener("keydown", function (e) {
            var list = Array.prototype.slice.call(bar.querySelectorAll(".modebar-btn"));
            var at = list.indexOf(document.activeElement);
            if (at < 0) { return; }
            var to = null;
            if (e.key === "ArrowRight" || e.key === "ArrowDown") { to = (at + 1) % list.length; }
            else if (e.key === "ArrowLeft" || e.key === "ArrowUp") { to = (at - 1 + list.length) % list.length; }
            else if (e.key === "Home") { to = 0; }
            else if (e.key === "End") { to = list.length - 1; }
            else if (e.key === "Enter" || e.key === " ") {
                e.preventDefault();
                list[at].dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
                return;
            }
            if (to === null) { return; }
            e.preventDefault();
            list[at].tabIndex = -1;
            list[to].tabIndex = 0;
            list[to].focus();
        });
    }

    // Table panels (DataTable): a column's sort control is a bare span; make it a button the keyboard
    // reaches, named by its column, that Enter or Space presses.
    function fixSort(control) {
        if (control.dataset.a11y) { return; }
        control.dataset.a11y = "1";
        var header = control.closest("th");
        var name = header ? header.textContent.trim() : "column";
        control.setAttribute("role", "button");
        control.setAttribute("aria-label", "Sort by " + name);
        control.tabIndex = 0;
        control.addEventListener("keydown", function (e) {
            if (e.key !== "Enter" && e.key !== " ") { return; }
            e.preventDefault();
            control.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
        });
    }

    function sweep(root) {
        if (!root.querySelectorAll) { return; }
        root.querySelectorAll(".dash-dropdown-focus-target").forEach(fixDropdown);
        root.querySelectorAll(".modebar").forEach(fixModebar);
        root.querySelectorAll(".dash-table-container .column-header--sort").forEach(fixSort);
    }

    // One sweep of the whole page shortly after a burst of changes: a chart adds thousands of nodes,
    // and sweeping each added subtree as it arrives would query the page once per added node.
    var pending = false;
    new MutationObserver(function () {
        if (pending) { return; }
        pending = true;
        setTimeout(function () { pending = false; sweep(document); }, 50);
    }).observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                           attributeFilter: ["tabindex"]});

    document.addEventListener("click", function (e) {
        var link = e.target.closest && e.target.closest(".skip-link");
        if (!link) { return; }
        var main = document.getElementById("main-content");
        if (!main) { return; }
        e.preventDefault();
        main.focus();
        main.scrollIntoView();
    });
})();
