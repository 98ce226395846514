// The brief form keeps what the user writes in this browser (localStorage) until the brief is
// saved, so that nothing is lost when the session ends mid-edit: after signing in again the
// form opens with the draft restored and says so, with a way to discard it.
//
// A draft is keyed by the brief ("brief-draft:<id>", or "brief-draft:new"), belongs to the
// signed-in user who wrote it, and is dropped when the brief is saved (the server names the
// saved draft in a cookie, read on the next page), when the user discards it or signs out, and
// after DRAFT_DAYS.
(() => {
  const DRAFT_DAYS = 7;
  const SAVED_COOKIE = "brief_draft_saved";

  function store() {
    try {
      return window.localStorage;
    } catch {
      return null; // storage switched off: the form works, without drafts
    }
  }

  function read(key) {
    try {
      return JSON.parse(store()?.getItem(key) || "null");
    } catch {
      return null;
    }
  }

  function dropSavedDraft() {
    const match = document.cookie.match(new RegExp(`(?:^|;\\s*)${SAVED_COOKIE}=([^;]*)`));
    if (!match) return;
    store()?.removeItem(`brief-draft:${decodeURIComponent(match[1])}`);
    document.cookie = `${SAVED_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax`;
  }

  function dropAllDrafts() {
    const storage = store();
    if (!storage) return;
    for (const key of Object.keys(storage)) if (key.startsWith("brief-draft:")) storage.removeItem(key);
  }

  function fields(form) {
    return [...form.elements].filter(
      (el) => el.name && el.name !== "csrfmiddlewaretoken" && !["submit", "button", "reset", "file"].includes(el.type),
    );
  }

  // The form's state as [name, value] pairs, in the order the form would send them.
  function snapshot(form) {
    const pairs = [];
    for (const el of fields(form)) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) pairs.push([el.name, el.value]);
      } else if (el.tagName === "SELECT") {
        for (const option of el.selectedOptions) pairs.push([el.name, option.value]);
      } else {
        pairs.push([el.name, el.value]);
      }
    }
    return pairs;
  }

  function apply(form, pairs, names) {
    const values = new Map(names.map((name) => [name, []]));
    for (const [name, value] of pairs) values.get(name)?.push(value);
    const changed = new Set();
    for (const el of fields(form)) {
      const wanted = values.get(el.name);
      if (!wanted) continue; // a field the draft did not know: left as the page drew it
      if (el.type === "checkbox" || el.type === "radio") {
        const checked = wanted.includes(el.value);
        if (el.checked !== checked) changed.add(el);
        el.checked = checked;
      } else if (el.tagName === "SELECT") {
        for (const option of el.options) option.selected = wanted.includes(option.value);
        changed.add(el);
      } else {
        const value = wanted.length ? wanted.shift() : "";
        if (el.value !== value) changed.add(el);
        el.value = value;
      }
    }
    return changed;
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function refresh(form, changed) {
    // The multiple selects' summaries and the live preview follow the restored values.
    for (const el of changed) if (el.tagName === "SELECT") el.dispatchEvent(new Event("change", { bubbles: true }));
    if (window.htmx) window.htmx.trigger(form, "change");
  }

  function restoredNotice(form, draft, onDiscard) {
    const notice = document.createElement("div");
    notice.className = "notice draft-notice";
    notice.setAttribute("role", "status");
    const text = document.createElement("p");
    const when = document.createElement("time");
    const savedAt = new Date(draft.savedAt);
    when.dateTime = savedAt.toISOString();
    when.textContent = savedAt.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link link-button";
    discard.textContent = "Discard";
    discard.addEventListener("click", () => {
      onDiscard();
      notice.remove();
      form.querySelector("input:not([type=hidden]), select")?.focus();
    });
    text.append("Restored your unsaved changes from ", when, " — ", discard);
    notice.append(text);
    (form.closest(".brief-layout") || form).before(notice);
  }

  function keepDraft(form) {
    const key = form.dataset.draftKey;
    const owner = form.dataset.draftOwner;
    const storage = store();
    if (!key || !storage) return;
    const drawn = snapshot(form);
    // A form drawn again with errors shows what was sent, not what is saved: all of it is unsaved.
    const refused = document.querySelector(".error-summary") !== null;
    const names = [...new Set(fields(form).map((el) => el.name))];

    const draft = read(key);
    const fresh = draft && Date.now() - draft.savedAt < DRAFT_DAYS * 86400000;
    if (draft && (!fresh || draft.owner !== owner)) storage.removeItem(key);
    else if (draft && !same(draft.pairs, drawn)) {
      const changed = apply(form, draft.pairs, draft.names || names);
      restoredNotice(form, draft, () => {
        storage.removeItem(key);
        refresh(form, apply(form, drawn, names));
      });
      refresh(form, changed);
    }

    let timer = null;
    const save = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const pairs = snapshot(form);
        if (!refused && same(pairs, drawn)) storage.removeItem(key);
        else {
          try {
            storage.setItem(key, JSON.stringify({ owner, savedAt: Date.now(), names, pairs }));
          } catch {
            // storage full: the form still works, without a draft
          }
        }
      }, 250);
    };
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    // Leaving the form by its Cancel link abandons the draft.
    document.querySelector("[data-draft-discard]")?.addEventListener("click", () => storage.removeItem(key));
  }

  document.addEventListener("submit", (event) => {
    if (event.target.matches("form[data-drops-drafts]")) dropAllDrafts();
  });
  document.addEventListener("DOMContentLoaded", () => {
    dropSavedDraft();
    document.querySelectorAll("form[data-draft-key]").forEach(keepDraft);
  });
})();
