// paperdeck: optional enhancements. Every page works without this file.
"use strict";
document.addEventListener("keydown", function (ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var t = ev.target;
  // Radios and checkboxes are not text entry: after "1" focuses an option, "3" must still
  // choose the third one.
  var typing = !!(t && t.matches &&
    t.matches("input:not([type=radio]):not([type=checkbox]), textarea, select, [contenteditable]"));
  // Quiz: 1–4 choose an option or a grade.
  if (!typing && /^[1-4]$/.test(ev.key)) {
    var el = document.querySelector('[data-key="' + ev.key + '"]');
    if (el) {
      ev.preventDefault();
      // A self-grade hidden in a closed "show answer" box: reveal the answer first.
      var box = el.closest("details");
      if (box && !box.open) { box.open = true; return; }
      if (el.tagName === "INPUT") { el.checked = true; el.focus(); } else { el.click(); }
    }
    return;
  }
  // Enter submits the quiz form or follows the "continue" link, even when no field has focus.
  if (ev.key === "Enter" && !typing && !(t && (t.tagName === "BUTTON" || t.tagName === "A"))) {
    var go = document.querySelector("[data-enter]");
    var reveal = document.querySelector("details.reveal:not([open])");
    if (go) { ev.preventDefault(); go.click(); }
    else if (reveal) { ev.preventDefault(); reveal.open = true; }
  }
});
