// The rule editor: checks the condition and action while they are typed (a short pause after the last key)
// by asking the server (/rules/validate, with the page's CSRF token), and shows where and why a rule is
// wrong. Our own file: no library. Saving stays a plain form post, so the page works without this script.
(function () {
  "use strict";
  var form = document.getElementById("rule-editor");
  if (!form) return;
  var out = document.getElementById("rule-check");
  var timer = null;
  var asked = 0;
  function show(answer) {
    out.classList.toggle("ok", answer.ok);
    out.classList.toggle("bad", !answer.ok);
    if (answer.ok) {
      out.textContent = form.dataset.ok;
      return;
    }
    var where = answer.line ? " (" + form.dataset.at + " " + answer.line + ":" + answer.column + ")" : "";
    out.textContent = answer.field + where + ": " + answer.reason;
  }
  function check() {
    var condition = form.elements.condition.value;
    var action = form.elements.action.value;
    if (!condition.trim() && !action.trim()) {
      out.textContent = "";
      return;
    }
    var mine = ++asked;
    fetch(form.dataset.validate, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
      body: JSON.stringify({ condition: condition, action: action, scope: form.elements.scope.value }),
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer && mine === asked) show(answer); })
      .catch(function () { /* offline: the save still checks the rule */ });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }
  form.elements.condition.addEventListener("input", later);
  form.elements.action.addEventListener("input", later);
  form.elements.scope.addEventListener("change", later);
})();
