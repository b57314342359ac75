// The navigation bar's theme switch: the same page and view, with only `theme` changed (light is
// the default, so it is simply left out). A Level 2 path is kept whole, which the server-side href
// (the section's page) cannot know.
document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#theme-toggle");
    if (!link) { return; }
    event.preventDefault();
    var url = new URL(window.location.href);
    if (link.getAttribute("data-theme") === "dark") {
        url.searchParams.set("theme", "dark");
    } else {
        url.searchParams.delete("theme");
    }
    window.location.assign(url.toString());
});
