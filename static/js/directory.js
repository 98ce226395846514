// The directory (templates/partners/_directory.html) is one GET form that htmx swaps whole after
// each change. What a swap would otherwise lose is kept here: the scroll of the filters and of
// their long lists, the place on the page of the control just used (a phone, whose list sits
// above the filters, would jump by the height of the cards that went), the text typed in the
// find boxes of long option lists, and the focus. Paging lands at the top of the results.
(() => {
  const findQueries = new Map(); // facet name -> text typed in its find box
  let kept = null; // what the swap under way must restore

  const directory = () => document.getElementById("directory");
  const fold = (text) => text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase().trim();

  // A find box over a long option list: it hides the options that do not match (ticked ones
  // stay), sends nothing and never triggers the form (it has no name and stops its events).
  function applyFind(fieldset, input) {
    const query = fold(input.value);
    const items = [...fieldset.querySelectorAll(".options li")].filter((item) => item.querySelector("input"));
    let matches = 0;
    for (const item of items) {
      const matching = !query || fold(item.querySelector("label").textContent).includes(query);
      item.hidden = !matching && !item.querySelector("input").checked;
      if (matching) matches += 1;
    }
    const status = fieldset.querySelector(".option-find-status");
    if (!query) status.textContent = "";
    else if (!matches) status.textContent = `No option matches “${input.value.trim()}”.`;
    else status.textContent = `${matches} of ${items.length} match.`;
  }

  function addFindBoxes(form) {
    for (const fieldset of form.querySelectorAll("fieldset[data-option-filter]")) {
      if (fieldset.querySelector(".option-find")) continue;
      const name = fieldset.id.replace(/^facet-/, "");
      const list = fieldset.querySelector(".options");
      const box = document.createElement("div");
      box.className = "option-find";
      const label = document.createElement("label");
      label.htmlFor = `find-${name}`;
      label.textContent = fieldset.dataset.optionFilter;
      const input = document.createElement("input");
      Object.assign(input, { type: "search", id: `find-${name}`, autocomplete: "off" });
      input.setAttribute("aria-controls", list.id);
      input.setAttribute("aria-describedby", `find-${name}-status`);
      const status = document.createElement("p");
      Object.assign(status, { className: "help option-find-status", id: `find-${name}-status` });
      status.setAttribute("aria-live", "polite");
      box.append(label, input, status);
      list.before(box);
      input.value = findQueries.get(name) || "";
      input.addEventListener("input", () => {
        findQueries.set(name, input.value);
        applyFind(fieldset, input);
      });
      input.addEventListener("change", (event) => event.stopPropagation());
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") event.preventDefault();
      });
      if (input.value) applyFind(fieldset, input);
    }
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    const form = directory();
    if (!form || event.detail.target !== form) return;
    const config = event.detail.requestConfig || {};
    const source = config.triggeringEvent?.target;
    const link = config.elt !== form ? config.elt : null;
    const control = source && source !== form && source.id && form.contains(source) ? source : link;
    const active = document.activeElement;
    kept = {
      filtersTop: form.querySelector(".filters")?.scrollTop || 0,
      listTops: [...form.querySelectorAll(".options")].map((list) => [list.id, list.scrollTop]),
      anchor: control && control.id ? { id: control.id, top: control.getBoundingClientRect().top } : null,
      paging: Boolean(link && link.closest(".pagination")),
      chip: link && link.classList.contains("filter-chip") ? [...form.querySelectorAll(".filter-chip")].indexOf(link) : -1,
      fromResults: Boolean(link && link.closest(".results") && !link.id),
      find: active && active.id && active.id.startsWith("find-") ? active.id : null,
    };
  });

  document.addEventListener("htmx:afterSwap", () => {
    const form = directory();
    if (!form || !kept || !form.isConnected) return;
    const place = kept;
    kept = null;
    addFindBoxes(form);
    const filters = form.querySelector(".filters");
    if (filters) filters.scrollTop = place.filtersTop;
    for (const [id, top] of place.listTops) {
      const list = document.getElementById(id);
      if (list) list.scrollTop = top;
    }
    if (place.paging) {
      const results = document.getElementById("results");
      results.scrollIntoView({ block: "start" });
      document.getElementById("results-list").focus({ preventScroll: true });
      return;
    }
    const anchor = place.anchor && document.getElementById(place.anchor.id);
    if (anchor) window.scrollBy(0, anchor.getBoundingClientRect().top - place.anchor.top);
    if (place.find) {
      const input = document.getElementById(place.find);
      if (input) input.focus({ preventScroll: true });
    } else if (place.chip >= 0) {
      const chips = form.querySelectorAll(".filter-chip");
      const next = chips[Math.min(place.chip, chips.length - 1)] || document.getElementById("results-list");
      next.focus({ preventScroll: true });
    } else if (place.fromResults && !anchor) {
      document.getElementById("results-list").focus({ preventScroll: true });
    }
  });

  // Content htmx brings back from its history cache is enhanced again.
  document.addEventListener("htmx:load", () => {
    const form = directory();
    if (form) addFindBoxes(form);
  });
  const form = directory();
  if (form) addFindBoxes(form);
})();
