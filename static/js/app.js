// Keep shared URLs short: leave empty form fields out of htmx's GET requests.
document.addEventListener("htmx:configRequest", (event) => {
  const data = event.detail.formData;
  if (!data) return;
  for (const [name, value] of [...data.entries()]) {
    if (value === "") data.delete(name);
  }
});

// A form that starts work (a match run) is sent once: its button is disabled on submit.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-submit-once]")) return;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "true";
  for (const button of form.querySelectorAll("button[type=submit]")) button.setAttribute("aria-disabled", "true");
});
