// The brief form (templates/matching/brief_form.html).

// A must-have toggle ticks its item; unticking an item unticks its must-have.
document.querySelector(".brief-form")?.addEventListener("change", (event) => {
  const box = event.target;
  const row = box.closest?.(".item-choice");
  if (!row) return;
  const [item, toggle] = row.querySelectorAll("input[type=checkbox]");
  if (box === toggle && toggle.checked) item.checked = true;
  if (box === item && !item.checked) toggle.checked = false;
});

// Mark in the form the fields the preview names as wrong (the preview lists them with links).
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id !== "brief-preview") return;
  document.querySelectorAll(".brief-form .preview-invalid").forEach((el) => el.classList.remove("preview-invalid"));
  event.detail.target.querySelectorAll("[data-field]").forEach((item) => {
    const id = item.dataset.field;
    const input = document.getElementById(id) || document.getElementById(`${id}_0`);
    input?.closest(".field")?.classList.add("preview-invalid");
  });
});
