// The "Handlers" section of the operator dashboard: GET /admin/handlers as a table, with a Pause or Resume button per
// handler (POST /admin/handlers/{name}/pause|resume). It uses the page's helpers from dashboard.js (api, el, badge,
// showMessage, failed, adminKey, $) and keeps its own refresh, so the rest of the page does not need to know about it.
'use strict';

const HANDLERS_REFRESH_MS = 5000;

// State colours, set through the CSSOM (allowed by the page's CSP, unlike inline style attributes).
const STATE_COLOURS = {
  active: ['#dcf3e2', '#1a7f37'],
  paused: ['#fff3cd', '#8a6100'],
  open: ['#fde0e0', '#b42318'],
  half_open: ['#ffe8cc', '#9a4a00'],
};

function stateBadge(state) {
  const node = badge(state);
  node.classList.add('handler-state');
  const [background, colour] = STATE_COLOURS[state] || [];
  if (background) {
    node.style.background = background;
    node.style.color = colour;
  }
  return node;
}

// The flow settings in effect, shortly: attempts, concurrency, a rate limit and a breaker when set.
function limitsText(handler) {
  const parts = ['attempts ' + handler.retry.max_attempts, 'concurrency ' + handler.concurrency];
  if (handler.rate_limit) parts.push(handler.rate_limit.per_second + '/s' + (handler.rate_limit.burst > 1 ? ' (burst ' + handler.rate_limit.burst + ')' : ''));
  if (handler.circuit_breaker) {
    const breaker = handler.circuit_breaker;
    parts.push('breaker ' + breaker.failures + '/' + breaker.failure_threshold + (breaker.until ? ' until ' + when(breaker.until) : ''));
  }
  return parts.join(', ');
}

function pauseButton(handler) {
  const paused = handler.state === 'paused';
  const action = paused ? 'resume' : 'pause';
  const button = el('button', paused ? 'Resume' : 'Pause', 'handler-action');
  button.type = 'button';
  button.dataset.handler = handler.name;
  button.dataset.action = action;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const result = await api('POST', '/admin/handlers/' + encodeURIComponent(handler.name) + '/' + action);
      showMessage('Handler ' + result.name + ' is ' + result.state + (paused ? ': its waiting runs go ahead.' : ' on every replica: its runs wait, keeping their attempts.'));
      await refreshHandlers();
    } catch (e) {
      button.disabled = false;
      failed(e);
    }
  });
  return button;
}

function renderHandlers(list) {
  const rows = $('handler-rows');
  rows.replaceChildren(...list.handlers.map((handler) => {
    const row = el('tr');
    row.dataset.handler = handler.name;
    row.dataset.state = handler.state;
    const state = el('td');
    state.append(stateBadge(handler.state));
    if (handler.paused_at) state.append(el('div', 'since ' + when(handler.paused_at), 'hint'));
    const action = el('td');
    action.append(pauseButton(handler));
    row.append(el('td', handler.name), el('td', handler.type), state, el('td', handler.pending), el('td', handler.running),
      el('td', handler.dead), el('td', limitsText(handler)), el('td', handler.last_error || '', 'error'), action);
    return row;
  }));
  $('handlers-empty').hidden = list.handlers.length > 0;
  $('handlers').dataset.loaded = 'true';
}

async function refreshHandlers() {
  if (!adminKey()) return;
  try {
    renderHandlers(await api('GET', '/admin/handlers'));
  } catch (e) {
    failed(e);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  // After dashboard.js's own listener has stored the key (listeners run in the order they were added).
  $('key-form').addEventListener('submit', () => refreshHandlers());
  $('handlers-refresh').addEventListener('click', refreshHandlers);
  refreshHandlers();
  setInterval(refreshHandlers, HANDLERS_REFRESH_MS);
});
