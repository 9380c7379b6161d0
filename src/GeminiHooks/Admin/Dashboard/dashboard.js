// GeminiHooks operator dashboard: vanilla JS over the operator API (/admin/...), no build step, no dependencies.
// The admin key lives in sessionStorage only (gone when the tab closes) and travels as a bearer token.
// Everything from the store is rendered with textContent, never as markup.
'use strict';

const KEY_STORAGE = 'geminihooks.adminKey';
const REFRESH_MS = 5000;
let timer = null;

const $ = (id) => document.getElementById(id);

function adminKey() { return sessionStorage.getItem(KEY_STORAGE) || ''; }

function showMessage(text, bad) {
  const message = $('message');
  message.textContent = text;
  message.className = bad ? 'bad' : '';
  message.hidden = !text;
}

async function api(method, path, json) {
  const headers = { Authorization: 'Bearer ' + adminKey(), Accept: 'application/json' };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
    cache: 'no-store',
  });
  if (response.status === 401) {
    throw Object.assign(new Error('The admin key was refused: check GeminiHooks:Admin:ApiKey.'), { unauthorized: true });
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((body && (body.detail || body.title)) || ('HTTP ' + response.status));
  }
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function badge(status) { return el('span', status, 'badge ' + status); }

function when(iso) {
  const date = new Date(iso);
  return isNaN(date) ? iso : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

function replayButton(event, label) {
  const button = el('button', label || 'Replay', 'replay');
  button.type = 'button';
  button.dataset.webhookId = event.webhook_id;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const path = eventPath(event) + '/replay';
      const result = await api('POST', path);
      showMessage('Re-queued ' + result.queued + ' handler run(s) of ' + event.webhook_id + '.');
      setTimeout(refresh, 400);
    } catch (e) {
      failed(e);
      button.disabled = false;
    }
  });
  return button;
}

function eventPath(event) {
  return '/admin/events/' + encodeURIComponent(event.endpoint) + '/' + encodeURIComponent(event.webhook_id);
}

function detailsButton(event) {
  const button = el('button', 'Details', 'details');
  button.type = 'button';
  button.dataset.webhookId = event.webhook_id;
  button.addEventListener('click', () => showDetail(event).catch(failed));
  return button;
}

// One event with its body and every handler's attempts and last error. The body is shown as text (textContent of a
// <pre>): a hostile payload reads as the characters it is made of.
async function showDetail(event) {
  const stored = await api('GET', eventPath(event));
  const dialog = $('detail');
  dialog.dataset.webhookId = stored.webhook_id;
  $('detail-title').textContent = stored.type + ' · ' + stored.webhook_id;
  const meta = $('detail-meta');
  meta.replaceChildren();
  for (const [label, value] of [['Endpoint', stored.endpoint], ['Webhook id', stored.webhook_id], ['Type', stored.type],
    ['Status', stored.status], ['Received', when(stored.received_at)],
    ['Webhook timestamp', new Date(stored.webhook_timestamp * 1000).toISOString()]]) {
    meta.append(el('dt', label), el('dd', value));
  }
  $('detail-handlers').replaceChildren(...stored.handlers.map((run) => {
    const row = el('tr');
    row.dataset.handler = run.handler;
    const status = el('td');
    status.append(badge(run.status));
    row.append(el('td', run.handler), status, el('td', run.attempts),
      el('td', run.status === 'pending' ? when(run.next_attempt_at) : '—'), el('td', when(run.updated_at)),
      el('td', run.last_error || '', 'error'));
    return row;
  }));
  $('detail-no-handlers').hidden = stored.handlers.length > 0;
  $('detail-body').textContent = stored.body !== undefined
    ? JSON.stringify(stored.body, null, 2)
    : 'Not JSON; base64 of the stored bytes:\n' + (stored.body_base64 || '');
  if (!dialog.open) dialog.showModal();
  await showKeysAndFollowers(stored); // search.js
}

function handlersCell(event, onlyDead) {
  const cell = el('td');
  for (const run of event.handlers) {
    if (onlyDead && run.status !== 'dead') continue;
    const line = el('div', null, 'handler');
    line.append(el('span', run.handler + ' '), badge(run.status),
      el('span', ' ' + run.attempts + (run.attempts === 1 ? ' attempt' : ' attempts'), 'attempts'));
    cell.append(line);
    if (run.last_error && run.status !== 'succeeded') cell.append(el('div', run.last_error, 'error'));
  }
  if (!event.handlers.length) cell.append(el('span', 'no handler', 'empty'));
  return cell;
}

function renderDead(page) {
  const rows = $('dead-rows');
  rows.replaceChildren(...page.events.map((event) => {
    const row = el('tr');
    row.dataset.webhookId = event.webhook_id;
    const action = el('td');
    action.append(detailsButton(event), replayButton(event));
    row.append(el('td', when(event.received_at)), el('td', event.type), el('td', event.webhook_id, 'mono'),
      handlersCell(event, true), action);
    return row;
  }));
  $('dead-empty').hidden = page.events.length > 0;
  $('replay-all').disabled = page.events.length === 0;
}

async function renderHealth() {
  // /readyz needs no key; 503 still carries the per-check JSON.
  const card = $('ready');
  try {
    const response = await fetch('/readyz', { cache: 'no-store' });
    const checks = await response.json();
    $('ready-value').textContent = checks.status;
    $('ready-detail').textContent = Object.entries(checks).filter(([k]) => k !== 'status').map(([k, v]) => k + ': ' + v).join(', ');
    card.className = 'card ' + (response.ok ? 'ok' : 'bad');
  } catch {
    $('ready-value').textContent = 'unreachable';
    $('ready-detail').textContent = '';
    card.className = 'card bad';
  }
  const backlog = await api('GET', '/admin/backlog');
  $('backlog-pending').textContent = backlog.pending;
  $('backlog-running').textContent = backlog.running;
  $('backlog-succeeded').textContent = backlog.succeeded;
  $('backlog-dead').textContent = backlog.dead;
  $('dead-card').className = 'card ' + (backlog.dead > 0 ? 'bad' : 'ok');
  await renderWatch();
}

// The webhook watchdog's last look and the tracked jobs (reconciliation); readiness stays green either way.
async function renderWatch() {
  const [watch, jobs] = await Promise.all([api('GET', '/admin/webhooks'), api('GET', '/admin/jobs')]);
  const flags = watch.flags || [];
  $('webhooks-value').textContent = !watch.enabled ? 'not watched' : watch.checked_at ? flags.length + ' flagged' : 'not checked yet';
  $('webhooks-detail').textContent = flags.map((f) => f.kind + ': ' + f.webhook + ' (' + f.detail + ')').join('; ') + (watch.error ? ' ' + watch.error : '');
  $('webhooks-card').className = 'card ' + (flags.length > 0 || watch.error ? 'bad' : 'ok');
  const list = jobs.jobs || [];
  const reconciled = list.filter((j) => j.outcome && j.outcome.reconciled).length;
  const conflicts = list.reduce((n, j) => n + (j.outcome ? j.outcome.conflicts : 0), 0);
  const open = list.filter((j) => j.status === 'open' || j.status === 'ended').length;
  $('jobs-value').textContent = list.length;
  $('jobs-detail').textContent = open + ' open, ' + reconciled + ' reconciled, ' + conflicts + ' reconcile conflicts';
  $('jobs-card').className = 'card ' + (conflicts > 0 ? 'bad' : 'ok');
}

async function refresh() {
  if (!adminKey()) return;
  try {
    const [, dead, timeline] = await Promise.all([
      loadEventPage(), // search.js: the current page of the current search
      api('GET', '/admin/events?status=dead&limit=100'),
      api('GET', '/admin/stats/timeseries'),
      renderHealth(),
    ]);
    renderDead(dead);
    renderTimeline(timeline);
    $('content').hidden = false;
    $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString() + '.';
    document.body.dataset.loaded = 'true';
  } catch (e) {
    failed(e);
  }
}

function failed(e) {
  showMessage(e.message, true);
  if (e.unauthorized) {
    $('content').hidden = true;
    sessionStorage.removeItem(KEY_STORAGE);
  }
}

function start() {
  clearInterval(timer);
  if (!adminKey()) {
    $('content').hidden = true;
    showMessage('Enter the admin key (GeminiHooks:Admin:ApiKey) to see events and dead letters.');
    return;
  }
  showMessage('');
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key').value.trim();
    $('key').value = '';
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    start();
  });
  $('key-forget').addEventListener('click', () => { sessionStorage.removeItem(KEY_STORAGE); start(); });
  $('refresh').addEventListener('click', refresh);
  $('detail-close').addEventListener('click', () => $('detail').close());
  $('replay-all').addEventListener('click', async () => {
    try {
      const result = await api('POST', '/admin/dead-letters/replay');
      showMessage('Re-queued ' + result.queued + ' dead-lettered handler run(s).');
      setTimeout(refresh, 400);
    } catch (e) {
      failed(e);
    }
  });
  start();
});
