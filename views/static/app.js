// views/static/app.js — small progressive enhancements on top of htmx: copy buttons, build/app logs that stay
// scrolled to the bottom while lines stream in, chart tables that stay open across the Metrics tab's refreshes, and
// no refreshes in a hidden tab.
// Pages work without it.
(function () {
  function enhance(root) {
    root.querySelectorAll('button.copy[data-copy]').forEach(function (btn) {
      if (!navigator.clipboard || btn.dataset.ready) return;
      btn.dataset.ready = '1';
      btn.hidden = false;
      btn.addEventListener('click', function () {
        var target = document.getElementById(btn.dataset.copy);
        if (!target) return;
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          var label = btn.textContent;
          btn.textContent = 'Copied';
          setTimeout(function () { btn.textContent = label; }, 1500);
        });
      });
    });
  }

  // Before htmx adds lines to a log, note whether the reader was at its bottom; if so, keep them there.
  var stick = new Map();
  document.addEventListener('htmx:wsBeforeMessage', function () {
    document.querySelectorAll('.log').forEach(function (log) {
      stick.set(log, log.scrollHeight - log.scrollTop - log.clientHeight < 40);
    });
  });
  document.addEventListener('htmx:wsAfterMessage', function () {
    document.querySelectorAll('.log').forEach(function (log) {
      if (stick.get(log) !== false) log.scrollTop = log.scrollHeight;
    });
  });

  // The Metrics tab's charts are replaced every 10 s: a data table the reader opened stays open in the new ones.
  var opened = [];
  document.addEventListener('htmx:beforeSwap', function (e) {
    if (!e.detail.target || e.detail.target.id !== 'metrics-charts') return;
    opened = Array.prototype.map.call(e.detail.target.querySelectorAll('details[open][id]'), function (d) { return d.id; });
  });
  document.addEventListener('htmx:afterSettle', function () {
    opened.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
    opened = [];
  });

  // A tab in the background does not poll the charts (the server would render them for nobody); the first poll after
  // the reader comes back brings them up to date. An event, not a trigger filter: the CSP forbids the eval those need.
  document.addEventListener('htmx:beforeRequest', function (e) {
    if (document.hidden && e.detail.elt && e.detail.elt.id === 'metrics-charts') e.preventDefault();
  });

  document.addEventListener('DOMContentLoaded', function () {
    enhance(document);
    document.querySelectorAll('.log').forEach(function (log) { log.scrollTop = log.scrollHeight; });
  });
  document.addEventListener('htmx:load', function (e) { enhance(e.target); });
})();
