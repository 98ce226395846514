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

// A long multiple select hides what is chosen: list the choices under it.
function summariseSelection(select) {
  let summary = select.nextElementSibling;
  if (!summary || !summary.classList.contains("selected-summary")) {
    summary = document.createElement("p");
    summary.className = "help selected-summary";
    summary.setAttribute("aria-live", "polite");
    select.after(summary);
  }
  const names = [...select.selectedOptions].map((option) => option.textContent.trim());
  summary.textContent = names.length ? `Selected: ${names.join(", ")}` : "None selected";
}
document.addEventListener("change", (event) => {
  if (event.target.matches("select[multiple]")) summariseSelection(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[multiple]").forEach(summariseSelection);
});

// Back to a page kept in the browser's cache: its forms may be sent again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll("form[data-submit-once][data-sent]")) {
    delete form.dataset.sent;
    for (const button of form.querySelectorAll("button[aria-disabled]")) button.removeAttribute("aria-disabled");
  }
});
