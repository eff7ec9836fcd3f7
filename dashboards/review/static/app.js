// Keyboard triage. Queue: j/k move between rows, x selects, Enter opens (the row's link has
// focus). Finding page: c confirms, d and e move to the dismiss and escalate fields, n and p
// go to the next and previous finding of the same queue, u goes back.
// No key acts while typing in a field.
(function () {
  "use strict";
  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function queueKeys(links) {
    var current = -1;
    function focusRow(i) {
      if (i < 0 || i >= links.length) { return; }
      if (current >= 0) { links[current].closest("tr").classList.remove("row-focus"); }
      current = i;
      links[i].closest("tr").classList.add("row-focus");
      links[i].focus();
    }
    links.forEach(function (link, i) { link.addEventListener("focus", function () { focusRow(i); }); });
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "j") { focusRow(current + 1); event.preventDefault(); }
      else if (event.key === "k") { focusRow(Math.max(0, current - 1)); event.preventDefault(); }
      else if (event.key === "x" && current >= 0) {
        var box = links[current].closest("tr").querySelector("input[type=checkbox]");
        box.checked = !box.checked; event.preventDefault();
      }
    });
  }
  function findingKeys() {
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      var target = null;
      if (event.key === "c") { target = document.getElementById("confirm-btn"); if (target) { target.focus(); target.click(); } }
      else if (event.key === "d") { target = document.getElementById("dismiss-reason"); if (target) { target.focus(); } }
      else if (event.key === "e") { target = document.getElementById("escalate-note"); if (target) { target.focus(); } }
      else if (event.key === "u") { target = document.getElementById("back-link"); if (target) { window.location.href = target.href; } }
      else if (event.key === "n") { target = document.getElementById("next-link"); if (target) { window.location.href = target.href; } }
      else if (event.key === "p") { target = document.getElementById("prev-link"); if (target) { window.location.href = target.href; } }
      if (target) { event.preventDefault(); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var links = Array.prototype.slice.call(document.querySelectorAll("a.row-link"));
    if (links.length) { queueKeys(links); }
    if (document.getElementById("decide-h")) { findingKeys(); }
  });
})();
