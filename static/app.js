// paperdeck: optional enhancements. Every page works without this file.
"use strict";
document.addEventListener("keydown", function (ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var t = ev.target;
  var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  // Quiz: 1–4 choose an option or a grade.
  if (!typing && /^[1-4]$/.test(ev.key)) {
    var el = document.querySelector('[data-key="' + ev.key + '"]');
    if (el) {
      ev.preventDefault();
      if (el.tagName === "INPUT") { el.checked = true; el.focus(); } else { el.click(); }
    }
    return;
  }
  // Enter submits the quiz form or follows the "continue" link, even when no field has focus.
  if (ev.key === "Enter" && !typing && !(t && (t.tagName === "BUTTON" || t.tagName === "A"))) {
    var go = document.querySelector("[data-enter]");
    if (go) { ev.preventDefault(); go.click(); }
  }
});
