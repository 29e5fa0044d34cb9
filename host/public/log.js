/*
 * Connect host simulator — not Atlassian.
 * Keeps the exchange log tables live: new entries arrive over server-sent events (/log/stream) and are
 * added on top, built with textContent only.
 */
(function () {
  'use strict';

  var table = document.querySelector('[data-log-table]');
  if (!table || typeof EventSource === 'undefined') return;
  var tbody = table.querySelector('tbody');
  var limit = Number(table.getAttribute('data-limit')) || 100;
  var site = table.getAttribute('data-site');
  var params = new URLSearchParams({ after: table.getAttribute('data-last-id') || '0' });
  if (site) params.set('site', site);
  var seen = {};
  Array.prototype.forEach.call(tbody.rows, function (row) { seen[row.getAttribute('data-id')] = true; });

  function cell(row, text, className) {
    var td = row.insertCell();
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function statusClass(status) {
    if (status === undefined) return 'status';
    if (status === null || status >= 400) return 'status status-bad';
    return status >= 300 ? 'status status-warn' : 'status status-ok';
  }

  function add(entry) {
    if (seen[entry.id]) return;
    seen[entry.id] = true;
    var row = tbody.insertRow(0);
    row.setAttribute('data-id', entry.id);
    row.setAttribute('data-kind', entry.kind);
    row.className = 'fresh';
    cell(row, entry.time.slice(11, 19), 'time');
    cell(row, entry.site || '');
    cell(row, entry.direction, 'direction');
    cell(row, entry.kind);
    var request = cell(row, (entry.method || '') + ' ', 'request');
    var url = document.createElement('span');
    url.className = 'url';
    url.textContent = entry.url || '';
    request.appendChild(url);
    cell(row, entry.status === null ? 'no answer' : entry.status === undefined ? '' : String(entry.status), statusClass(entry.status));
    var note = cell(row, entry.note, 'note');
    var details = { token: entry.token || undefined };
    for (var k in entry.details || {}) details[k] = entry.details[k];
    if (Object.keys(details).some(function (k2) { return details[k2] !== undefined; })) {
      var d = document.createElement('details');
      var summary = document.createElement('summary');
      summary.textContent = 'details';
      var pre = document.createElement('pre');
      pre.textContent = JSON.stringify(details, null, 2);
      d.appendChild(summary);
      d.appendChild(pre);
      note.appendChild(d);
    }
    while (tbody.rows.length > limit) tbody.deleteRow(tbody.rows.length - 1);
  }

  var source = new EventSource('/log/stream?' + params);
  source.onmessage = function (event) {
    add(JSON.parse(event.data));
  };
})();
