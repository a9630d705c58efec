// Progressive enhancement only: every page works without this script.
"use strict";

// <form data-confirm="Затвердити версію 2? …">: an irreversible action asks first.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset.confirm || (event.submitter && event.submitter.dataset.confirm);
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// <form data-unsaved-warning>: leaving the page with typed, unsent changes asks first.
const dirtyForms = new Set();
document.addEventListener("input", (event) => {
  const form = event.target.form;
  if (form && form.hasAttribute("data-unsaved-warning")) {
    dirtyForms.add(form);
  }
});
document.addEventListener("submit", (event) => {
  if (!event.defaultPrevented) {
    dirtyForms.delete(event.target);
  }
});
window.addEventListener("beforeunload", (event) => {
  if (dirtyForms.size > 0) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// Forms with fields to correct or rows just added: the field gets the focus with its label (or
// its question) in view, where the browser's own jump would hide the label above the screen.
function reveal(field) {
  const anchor = field.closest(".question") || (field.labels && field.labels[0]) || field;
  anchor.scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
}
const FIELD = "input:not([type=hidden]):not([tabindex='-1']), select, textarea";
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
  const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
  const field = target && (target.matches(FIELD) ? target : target.querySelector(FIELD));
  if (field) {
    event.preventDefault();
    history.replaceState(null, "", link.hash);
    reveal(field);
  }
});
// After "load": the browser's own jump to the fragment moves focus, so this comes after it.
window.addEventListener("load", () => {
  const first = document.querySelector("[data-first-error]");
  const row = !first && location.hash && document.getElementById(location.hash.slice(1));
  if (first) {
    reveal(first);
  } else if (row && row.matches("fieldset.row")) {
    row.scrollIntoView({ block: "start" });
    const field = row.querySelector(FIELD);
    if (field) {
      field.focus({ preventScroll: true });
    }
  }
  updateProgress();
});

// The survey: "clear my answer" in place, and how many questions are answered so far.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-clear]");
  const question = button && document.getElementById(button.dataset.clear);
  if (question) {
    event.preventDefault();
    question.querySelectorAll("input[type=radio]").forEach((radio) => { radio.checked = false; });
    question.querySelectorAll("input[type=text]").forEach((input) => { input.value = ""; });
    const first = question.querySelector("input[type=radio]");
    if (first) {
      first.focus();
    }
    updateProgress();
  }
});
function updateProgress() {
  const box = document.querySelector("[data-survey-progress]");
  if (!box) {
    return;
  }
  const questions = Array.from(document.querySelectorAll("form .question"));
  const answered = questions.filter((q) => Array.from(q.querySelectorAll("input, textarea"))
    .some((el) => (el.type === "radio" || el.type === "checkbox") ? el.checked
      : el.type !== "hidden" && el.value.trim() !== "")).length;
  box.querySelector("progress").value = answered;
  box.querySelector("[data-answered]").textContent = String(answered);
}
document.addEventListener("input", updateProgress);
document.addEventListener("change", updateProgress);
