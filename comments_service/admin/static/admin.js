// comments_service admin: progressive enhancements only; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // "Select all" ticks every item checkbox of the bulk form.
  for (const master of document.querySelectorAll("[data-select-all]")) {
    master.addEventListener("change", () => {
      for (const box of document.querySelectorAll('input[name="ids"]')) {
        box.checked = master.checked;
      }
    });
  }
  // Forms that cannot be undone ask once more.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
});
