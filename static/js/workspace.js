/* WintEHR workspace: keyboard and screen-reader care after HTMX swaps (no inline scripts: the
   Content-Security-Policy allows only files from this origin). */
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target;
  if (!target || target.id !== "chart-body") { return; }
  // A tab switch or a form post replaced the chart body: focus its panel so keyboard and
  // screen-reader users continue there rather than at the top of the page.
  var panel = document.getElementById("chart-panel");
  if (panel) { panel.focus({ preventScroll: false }); }
  var heading = panel && panel.querySelector("h2");
  if (heading && heading.textContent) {
    document.title = heading.textContent.trim() + " · " + document.title.split(" · ").slice(-2).join(" · ");
  }
});
