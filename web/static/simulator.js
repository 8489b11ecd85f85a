// The chat simulator (/try): keep the newest message in view, and empty the input once a message is sent.
// A file rather than hx-on attributes, which htmx would have to evaluate (the CSP allows no eval).
"use strict";

function scrollToEnd() {
  const log = document.getElementById("log");
  if (log) log.scrollTop = log.scrollHeight;
}

document.addEventListener("htmx:afterSettle", (event) => {
  const log = document.getElementById("log");
  if (log && log.contains(event.target)) scrollToEnd();
});

document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (form instanceof HTMLFormElement && form.classList.contains("chat-input")) {
    form.reset();
    scrollToEnd();
  }
});
