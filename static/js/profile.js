// The provider profile: a link to a site (#site-<id>, from the summary table or a run's
// results) opens that site's closed section, and anything inside a closed one it names.
(function () {
  "use strict";

  function openTarget(hash) {
    if (!hash || hash.length < 2) return;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#"]');
    if (link) openTarget(link.getAttribute("href"));
  });
  window.addEventListener("hashchange", function () { openTarget(window.location.hash); });
  openTarget(window.location.hash);
  // The section is open now: bring it into view, as the browser did before it opened.
  if (window.location.hash) {
    var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (target) target.scrollIntoView();
  }
})();
