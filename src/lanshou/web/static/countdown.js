// Live countdowns of the at-risk queue: each `.countdown[data-due]` shows the time left to its deadline
// (or how late it is), counted from the page's own "now" (data-now, which may be a time asked for) plus
// the seconds since the page loaded. Our own file: no library.
(function () {
  "use strict";
  var loaded = Date.now();
  function text(ms, table) {
    var late = ms < 0;
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var h = Math.floor(minutes / 60);
    var m = minutes % 60;
    var s = Math.floor(Math.abs(ms) / 1000) % 60;
    var clock = h + "h " + (m < 10 ? "0" : "") + m + "m " + (s < 10 ? "0" : "") + s + "s";
    return late ? table.dataset.late + " " + clock : clock + " " + table.dataset.left;
  }
  function tick() {
    var tables = document.querySelectorAll("table.queue[data-now]");
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      var now = Date.parse(table.dataset.now) + (Date.now() - loaded);
      var cells = table.querySelectorAll(".countdown[data-due]");
      for (var j = 0; j < cells.length; j++) {
        var ms = Date.parse(cells[j].dataset.due) - now;
        cells[j].textContent = text(ms, table);
        cells[j].classList.toggle("late", ms < 0);
      }
    }
  }
  tick();
  setInterval(tick, 1000);
})();
