// Asks before a form does what is hard to undo (ships every ready order, cancels orders, agrees to a refund):
// a button's or a form's data-confirm is the question; a form's data-confirm-if="field=value" asks only when
// that field holds that value (review's action select: only "cancel").
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  let question = (button && button.dataset.confirm) || form.dataset.confirm || "";
  const only = form.dataset.confirmIf;
  if (only) {
    const [name, value] = only.split("=");
    if (!form.elements[name] || form.elements[name].value !== value) question = "";
  }
  if (question && !window.confirm(question)) event.preventDefault();
});
