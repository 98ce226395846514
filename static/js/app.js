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

// A background (htmx) request that meets an ended session, an expired page or a server error
// swaps nothing: a banner above the page says what happened and what to do. Never is a whole
// page (the sign-in page, an error page) drawn inside a panel.
function signInHref(response) {
  const fromServer = response.getResponseHeader("X-Login-URL");
  if (fromServer) return fromServer;
  const next = encodeURIComponent(window.location.pathname + window.location.search);
  return `${document.body.dataset.loginUrl || "/accounts/login/"}?next=${next}`;
}

function showAlert(kind, message, action) {
  const banner = document.getElementById("app-alert");
  if (!banner) return;
  // Several requests may meet the same problem: the banner is drawn once, so that a link in it
  // is never replaced under the user's pointer.
  if (!banner.hidden && banner.dataset.kind === kind) return;
  banner.dataset.kind = kind;
  banner.className = `app-alert app-alert-${kind}`;
  banner.replaceChildren();
  const text = document.createElement("p");
  text.textContent = `${message} `;
  if (action) text.append(action);
  banner.append(text);
  banner.hidden = false;
}

function link(href, label) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = label;
  return a;
}

function reloadButton(label) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = label;
  button.addEventListener("click", () => window.location.reload());
  return button;
}

function isWholePage(body) {
  return typeof body === "string" && /^\s*(<!doctype html|<html[\s>])/i.test(body);
}

document.addEventListener("htmx:beforeSwap", (event) => {
  const response = event.detail.xhr;
  const intoBody = event.detail.target === document.body;
  if (response.status === 401) {
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    showAlert("signed-out", "You were signed out —", link(signInHref(response), "sign in again"));
  } else if (response.status === 403 && response.getResponseHeader("X-CSRF-Failure")) {
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    showAlert("expired", "This page expired —", reloadButton("Reload"));
  } else if (response.status >= 500) {
    showAlert("error", "Something went wrong on our side. Try again in a minute, or", reloadButton("Reload"));
  } else if (response.status === 403) {
    showAlert("error", "Your account may not do this.");
  } else if (event.detail.shouldSwap && !intoBody && isWholePage(response.responseText)) {
    // A fragment was asked for and a whole page came back (a sign-in page from a redirect the
    // server did not mark): the page is not drawn inside the panel.
    event.detail.shouldSwap = false;
    const signIn = new URL(document.body.dataset.loginUrl || "/accounts/login/", window.location.href);
    if (response.responseURL && new URL(response.responseURL).pathname === signIn.pathname) {
      showAlert("signed-out", "You were signed out —", link(signInHref(response), "sign in again"));
    } else {
      showAlert("error", "This part of the page could not be updated —", reloadButton("Reload"));
    }
  }
});

document.addEventListener("htmx:sendError", () => {
  showAlert("error", "The server could not be reached. Check your connection, then", reloadButton("Reload"));
});

// A link in an error summary moves the keyboard focus to the field it names, not only the view.
document.addEventListener("click", (event) => {
  const anchor = event.target.closest?.(".error-summary a[href^='#']");
  if (!anchor) return;
  const field = document.getElementById(anchor.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  const label = field.closest(".field, fieldset") || field;
  label.scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
  history.replaceState(null, "", anchor.getAttribute("href"));
});

// An error summary takes the focus when the page opens, so it is read out first.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelector(".error-summary[tabindex='-1']")?.focus();
});

// What the Content-Security-Policy keeps out of the templates (no inline script, no eval, so no
// hx-on attributes nor trigger filters): the few behaviours they asked of htmx live here.

// A region marked data-swap-refusal (the shortlist board, the "Add to a shortlist" form) shows
// a refused change: its 400 answer, which carries the form's errors, is swapped in all the same.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status !== 400) return;
  const asker = event.detail.elt;
  if (!asker?.closest?.("[data-swap-refusal]") && !event.target.closest?.("[data-swap-refusal]")) return;
  event.detail.shouldSwap = true;
  event.detail.isError = false;
});

// "Add to a shortlist" sits inside other forms (the directory's filters): its changes and
// submits stop at it, so that they never send the form around it.
function containShortlistControls(root) {
  const controls = root.matches?.(".shortlist-add") ? [root] : [];
  controls.push(...(root.querySelectorAll?.(".shortlist-add") || []));
  for (const control of controls) {
    if (control.dataset.contained) continue;
    control.dataset.contained = "true";
    control.addEventListener("change", (event) => event.stopPropagation());
    control.addEventListener("submit", (event) => event.stopPropagation());
  }
}
document.addEventListener("htmx:load", (event) => containShortlistControls(event.detail.elt));
document.addEventListener("DOMContentLoaded", () => containShortlistControls(document.body));

// A shortlist created by one "Add to a shortlist" control is offered by all the others on the
// page: each reloads itself (the server's HX-Trigger names the event; it starts in the control
// that created the shortlist, which is swapped anyway).
document.addEventListener("shortlists-changed", (event) => {
  for (const control of document.querySelectorAll(".shortlist-add")) {
    if (!control.contains(event.target)) window.htmx?.trigger(control, "shortlists-refresh");
  }
});
