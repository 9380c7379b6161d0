// GeminiHooks operator dashboard: event search, paging, the job and user_metadata of each row, an event's followers,
// and "replay matching" (a dry-run count first, then a confirmation). Uses the helpers of dashboard.js (api, el, badge,
// when, handlersCell, detailsButton, replayButton, showMessage, failed), which the page loads after this file.
// Every value from the store is rendered with textContent: bodies and metadata are the sender's text, never markup.
'use strict';

const PAGE_SIZE = 50;
// Filters applied by the last Search (not the form's unsaved edits), and the cursors of the pages before this one.
const search = { filter: {}, cursor: null, previous: [], nextCursor: null, replayTimer: null };
// Job and user_metadata per event, read once from the event's detail: a stored body never changes.
const keysCache = new Map();

// The form's fields as search keys of GET /admin/events (docs/operator-api.md); empty fields are left out.
function formFilter() {
  const filter = {};
  const text = (id) => document.getElementById(id).value.trim();
  for (const [key, id] of [['q', 'search-q'], ['job', 'search-job'], ['type', 'search-type'], ['status', 'status-filter'],
    ['endpoint', 'search-endpoint'], ['handler', 'search-handler'], ['handler_status', 'search-handler-status']]) {
    if (text(id)) filter[key] = text(id);
  }
  for (const [key, id] of [['from', 'search-from'], ['to', 'search-to']]) {
    // datetime-local is the browser's local time; the API takes RFC 3339, so it goes as UTC.
    const value = text(id);
    if (!value) continue;
    const date = new Date(value);
    if (isNaN(date)) throw new Error(key + ' is not a date and time');
    filter[key] = date.toISOString();
  }
  for (const pair of text('search-meta').split(/[,\n]/).map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error('Metadata filters read key=value (for example team=red), not "' + pair + '"');
    filter['meta.' + pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return filter;
}

function queryOf(filter) {
  return Object.entries(filter).map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
}

function describe(filter) {
  const parts = Object.entries(filter).map(([k, v]) => k + '=' + v);
  return parts.length ? parts.join(', ') : 'every event';
}

// The current page of the current search; the refresh timer calls it too, so a page stays put while new events arrive
// (the cursor is an event id: newer events never shift an older page).
// Only the latest load draws the list: a refresh still in flight when the operator pages or searches answers later
// with the page it asked for, and must not replace the one asked for since.
let latestLoad = 0;
async function loadEventPage() {
  const load = ++latestLoad;
  let query = queryOf(search.filter);
  query += (query ? '&' : '') + 'limit=' + PAGE_SIZE + (search.cursor ? '&cursor=' + encodeURIComponent(search.cursor) : '');
  const page = await api('GET', '/admin/events?' + query);
  if (load !== latestLoad) return page;
  search.nextCursor = page.next_cursor || null;
  renderEventPage(page);
  return page;
}

function renderEventPage(page) {
  const rows = document.getElementById('event-rows');
  rows.replaceChildren(...page.events.map((event) => {
    const row = el('tr');
    row.dataset.webhookId = event.webhook_id;
    row.dataset.status = event.status;
    const status = el('td');
    status.append(badge(event.status));
    const action = el('td');
    action.append(detailsButton(event), replayButton(event));
    row.append(el('td', when(event.received_at)), el('td', event.endpoint), el('td', event.type), identityCell(event),
      status, handlersCell(event, false), action);
    return row;
  }));
  const filtered = Object.keys(search.filter).length > 0;
  const empty = document.getElementById('events-empty');
  empty.textContent = filtered ? 'No event matches this search.' : 'No events stored yet.';
  empty.hidden = page.events.length > 0;
  const pageNumber = search.previous.length + 1;
  document.getElementById('search-summary').textContent = 'Page ' + pageNumber + ' of ' + describe(search.filter) +
    ': ' + page.events.length + ' event(s)' + (page.next_cursor ? ', more below.' : '.');
  document.getElementById('page-older').disabled = !page.next_cursor;
  document.getElementById('page-newer').disabled = search.previous.length === 0;
  document.getElementById('page-newest').disabled = search.previous.length === 0;
}

// Webhook id, then the job (data.id) and user_metadata, which the list answer does not carry: they come from the
// event's detail (fetched once per event, body redacted as the detail view shows it).
function identityCell(event) {
  const cell = el('td', null, 'identity');
  cell.append(el('div', event.webhook_id, 'mono'));
  const job = el('div', null, 'job');
  const metadata = el('div', null, 'metadata');
  cell.append(job, metadata);
  keysOf(event).then((keys) => {
    job.textContent = keys.job ? 'job ' + keys.job : '';
    job.dataset.job = keys.job || '';
    metadata.textContent = keys.metadata.map(([k, v]) => k + '=' + v).join(' · ');
  }, () => { job.textContent = ''; });
  return cell;
}

function keysOf(event) {
  const key = event.endpoint + '/' + event.webhook_id;
  if (!keysCache.has(key)) {
    const loading = api('GET', eventPath(event)).then((stored) => bodyKeys(stored.body));
    loading.catch(() => keysCache.delete(key)); // tried again on the next refresh
    keysCache.set(key, loading);
  }
  return keysCache.get(key);
}

// data.id, and user_metadata at the top level or inside data (the top level wins), as the store indexes them.
function bodyKeys(body) {
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(body)) return { job: null, metadata: [] };
  const data = isObject(body.data) ? body.data : {};
  const metadata = new Map();
  for (const holder of [body, data]) {
    if (!isObject(holder.user_metadata)) continue;
    for (const [k, v] of Object.entries(holder.user_metadata)) {
      if (!metadata.has(k)) metadata.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  return { job: typeof data.id === 'string' ? data.id : null, metadata: [...metadata] };
}

// The detail dialog's extra rows: the job and metadata, and the followers (later deliveries of the same job: duplicates
// and conflicts) when the job is tracked (GET /admin/jobs/{name}).
async function showKeysAndFollowers(stored) {
  const keys = bodyKeys(stored.body);
  const meta = document.getElementById('detail-meta');
  meta.append(el('dt', 'Job'), el('dd', keys.job || '—'));
  meta.append(el('dt', 'Metadata'), el('dd', keys.metadata.map(([k, v]) => k + '=' + v).join(', ') || '—'));
  const rows = document.getElementById('detail-followers');
  const note = document.getElementById('detail-followers-note');
  rows.replaceChildren();
  note.textContent = keys.job ? 'Looking up the job…' : 'The body names no job (data.id).';
  if (!keys.job) return;
  try {
    const job = await api('GET', '/admin/jobs/' + jobResource(keys.job, stored.type).split('/').map(encodeURIComponent).join('/'));
    const followers = job.followers || [];
    rows.replaceChildren(...followers.map((f) => {
      const row = el('tr');
      row.dataset.webhookId = f.webhook_id;
      row.append(el('td', f.kind), el('td', f.type), el('td', f.endpoint), el('td', f.webhook_id, 'mono'),
        el('td', f.reconciled ? 'yes' : 'no'), el('td', when(f.at)));
      return row;
    }));
    note.textContent = followers.length ? '' : 'Tracked job ' + job.name + ' (' + job.status + '): no later deliveries.';
  } catch (e) {
    note.textContent = 'Job ' + keys.job + ' is not tracked, so no followers are recorded for it.';
  }
}

// A job's resource name as /admin/jobs takes it: data.id may be the short form (123) of batches/123.
function jobResource(id, type) {
  if (id.includes('/') || id.startsWith('v1_')) return id;
  if (type.startsWith('batch.')) return 'batches/' + id;
  if (type.startsWith('video.')) return 'operations/' + id;
  return id;
}

function runSearch() {
  search.filter = formFilter();
  search.cursor = null;
  search.previous = [];
  return loadEventPage();
}

// "Replay matching": the dry run's count first, then the operator confirms, then the replay's progress.
async function askReplayMatching() {
  const filter = search.filter;
  const dry = await api('POST', '/admin/replays', { filter, dry_run: true });
  const dialog = document.getElementById('replay-confirm');
  dialog.dataset.matched = String(dry.matched);
  document.getElementById('replay-count').textContent = dry.matched + (dry.matched === 1 ? ' event matches ' : ' events match ') +
    describe(filter) + '.';
  document.getElementById('replay-go').disabled = dry.matched === 0;
  document.getElementById('replay-handlers').value = '';
  dialog.showModal();
}

async function confirmReplayMatching() {
  const handlers = document.getElementById('replay-handlers').value.split(',').map((h) => h.trim()).filter(Boolean);
  const request = { filter: search.filter };
  if (handlers.length) request.handlers = handlers;
  const started = await api('POST', '/admin/replays', request);
  document.getElementById('replay-confirm').close();
  const progress = document.getElementById('replay-progress');
  progress.dataset.replayId = started.id;
  progress.hidden = false;
  clearInterval(search.replayTimer);
  const poll = async () => {
    const state = await api('GET', '/admin/replays/' + encodeURIComponent(started.id));
    progress.dataset.status = state.status;
    progress.dataset.enqueued = String(state.enqueued);
    progress.textContent = 'Replay ' + state.id + ': ' + state.enqueued + ' of ' + state.matched + ' event(s) queued again (' +
      state.status + ').';
    if (state.status !== 'running') clearInterval(search.replayTimer);
  };
  search.replayTimer = setInterval(() => poll().catch(failed), 1000);
  await poll();
}

function pageTo(cursor, previous) {
  search.cursor = cursor;
  search.previous = previous;
  loadEventPage().catch(failed);
}

document.addEventListener('DOMContentLoaded', () => {
  const on = (id, type, action) => document.getElementById(id).addEventListener(type, action);
  on('search-form', 'submit', (e) => {
    e.preventDefault();
    try {
      runSearch().catch(failed);
    } catch (error) {
      failed(error);
    }
  });
  on('search-clear', 'click', () => {
    document.getElementById('search-form').reset();
    runSearch().catch(failed);
  });
  on('status-filter', 'change', () => runSearch().catch(failed));
  on('page-older', 'click', () => { if (search.nextCursor) pageTo(search.nextCursor, [...search.previous, search.cursor]); });
  on('page-newer', 'click', () => pageTo(search.previous.at(-1) ?? null, search.previous.slice(0, -1)));
  on('page-newest', 'click', () => pageTo(null, []));
  on('replay-matching', 'click', () => askReplayMatching().catch(failed));
  on('replay-go', 'click', () => confirmReplayMatching().catch(failed));
  on('replay-cancel', 'click', () => document.getElementById('replay-confirm').close());
});
