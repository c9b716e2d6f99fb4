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
// A form is sent once: a second press (a double click, "1" pressed twice) does nothing, and
// the buttons show it. They are disabled only after the browser has read the form, since a
// disabled button's value (正确/错误) would not be sent. Without this script the server
// recognises a repeated answer and shows the one it recorded.
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (!form.matches || form.matches("form.check-form") || (form.method || "").toLowerCase() !== "post") return;
  if (form.getAttribute("data-sent")) { ev.preventDefault(); return; }
  form.setAttribute("data-sent", "1");
  setTimeout(function () {
    var controls = form.querySelectorAll("button, input[type=radio], input[type=submit]");
    for (var i = 0; i < controls.length; i++) controls[i].disabled = true;
  }, 0);
});
// Back to a page the browser kept (its back-forward cache): its forms work again (the server
// tells a repeated answer apart), and the link last followed ("回到原文") loses the focus, so
// Enter continues the quiz instead of following that link again (B11).
window.addEventListener("pageshow", function (ev) {
  if (ev.persisted) {
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) {
      sent[i].removeAttribute("data-sent");
      var controls = sent[i].querySelectorAll("button, input[type=radio], input[type=submit]");
      for (var j = 0; j < controls.length; j++) controls[j].disabled = false;
    }
  }
  var go = document.querySelector("[data-enter]");
  var active = document.activeElement;
  if (go && active && active !== go && (active.tagName === "A" || active.tagName === "BUTTON")) active.blur();
});
// Questions inside a paper page: the form is sent with fetch and the feedback the server
// renders is put in place, without a reload. Without this script the same form posts and the
// page comes back at the question with the same feedback.
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (!(form.matches && form.matches("form.check-form")) || !window.fetch || !window.DOMParser) return;
  var box = form.closest(".check");
  var live = box && box.querySelector(".check-result");
  if (!live) return;
  ev.preventDefault();
  var data = new URLSearchParams(new FormData(form));
  if (ev.submitter && ev.submitter.name) data.append(ev.submitter.name, ev.submitter.value);
  var buttons = form.querySelectorAll("button");
  var enable = function (on) { for (var i = 0; i < buttons.length; i++) buttons[i].disabled = !on; };
  enable(false);
  fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
    .then(function (res) {
      return res.text().then(function (html) { return { ok: res.ok, html: html }; });
    })
    .then(function (r) {
      var doc = new DOMParser().parseFromString(r.html, "text/html");
      if (!r.ok) {
        var msg = doc.querySelector(".error-page h1 + p");
        live.textContent = msg ? msg.textContent : "没能提交，请再试一次。";
        enable(true);
        live.focus();
        return;
      }
      var fresh = doc.getElementById(box.id);
      var freshLive = fresh && fresh.querySelector(".check-result");
      live.innerHTML = freshLive ? freshLive.innerHTML : "";
      // An answered question comes back locked (her answer marked, 再试一次), not as a form.
      var freshForm = fresh && (fresh.querySelector("form.check-form") || fresh.querySelector(".answered-q"));
      if (freshForm) form.replaceWith(document.importNode(freshForm, true));
      else enable(true);
      // The answer moved its concept to a new version: the other questions of the page need
      // the tokens the server just issued, or their answers would be refused as repeats.
      var others = doc.querySelectorAll(".check");
      for (var i = 0; i < others.length; i++) {
        var mine = document.getElementById(others[i].id);
        if (!mine || mine === box) continue;
        ["csrf", "version", "token", "shown_at"].forEach(function (name) {
          var from = others[i].querySelector("input[name=" + name + "]");
          var to = mine.querySelector("input[name=" + name + "]");
          if (from && to) to.value = from.value;
        });
      }
      ["p.answered"].concat(Array.prototype.map.call(doc.querySelectorAll(".checks"), function (s) {
        return "#" + s.id + " .reached";
      })).forEach(function (sel) {
        var from = doc.querySelector(sel), to = document.querySelector(sel);
        if (from && to) to.replaceWith(document.importNode(from, true));
      });
      live.focus();
    })
    .catch(function () {
      live.textContent = "网络出了问题，答案没有送到。请再试一次。";
      enable(true);
    });
});

// 展开全部注释 on a paper page: every note on terms opened (or closed) at once. Without this
// script the button stays hidden and each note opens on its own.
(function () {
  var button = document.querySelector("[data-notes-open]");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-pressed") !== "true";
    var notes = document.querySelectorAll("details.note");
    for (var i = 0; i < notes.length; i++) notes[i].open = open;
    button.setAttribute("aria-pressed", open ? "true" : "false");
    button.textContent = open ? "收起全部注释" : "展开全部注释";
  });
})();
