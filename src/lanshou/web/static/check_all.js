// "Check all" boxes: a checkbox with data-check-all="NAME" checks or clears every checkbox named NAME in its
// form (the review queue's page of orders). Our own file: no library, no inline script (the CSP forbids it).
document.addEventListener("change", (event) => {
  const box = event.target;
  const name = box.dataset && box.dataset.checkAll;
  if (!name || !box.form) return;
  for (const other of box.form.querySelectorAll('input[type="checkbox"]')) {
    if (other.name === name && !other.disabled) other.checked = box.checked;
  }
});
