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
