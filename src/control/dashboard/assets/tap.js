// Dashboard (browser): live tap — GET /api/v1/tap streamed as NDJSON (fetch + ReadableStream), newest first, stopped by aborting the fetch.
import { stream } from './api.js';
import { fill, fmtMs, h, lock, notice } from './dom.js';

/** Rows kept on screen; older ones drop off the bottom. */
const MAX_ROWS = 500;

export function mount(root) {
  const field = (id, label, attrs = {}) => h('label', {}, label, h('input', { id, name: id, ...attrs }));
  const form = h(
    'form',
    { class: 'tap-form', id: 'tap-form' },
    field('tap-target', 'service or workload', { required: true, placeholder: 'reviews' }),
    field('tap-namespace', 'namespace', { value: 'default' }),
    field('tap-path', 'path prefix', { placeholder: '/api' }),
    h('label', {}, 'method', h('select', { id: 'tap-method' }, ['', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'].map((m) => h('option', { value: m }, m || 'any')))),
    field('tap-rps', 'max rps', { type: 'number', min: 1, max: 1000, value: 100 }),
    h('button', { type: 'submit', id: 'tap-start' }, 'Start'),
    h('button', { type: 'button', id: 'tap-stop', disabled: true }, 'Stop'),
  );
  const status = h('div', { id: 'tap-status', class: 'muted' }, 'Not running.');
  const tbody = h('tbody', { id: 'tap-rows' });
  const grid = h(
    'table',
    { class: 'grid tap', id: 'tap-table' },
    h('thead', {}, h('tr', {}, ['time', 'reporter', 'source', 'destination', 'method', 'authority', 'path', 'status', 'latency', 'flags', 'mTLS'].map((c) => h('th', {}, c)))),
    tbody,
  );
  fill(root, h('div', { class: 'toolbar' }, h('h1', {}, 'Live tap')), form, status, grid);
  const stopBtn = form.querySelector('#tap-stop');
  const startBtn = form.querySelector('#tap-start');
  let controller = null;
  let count = 0;

  const stop = (why) => {
    if (controller !== null) controller.abort();
    controller = null;
    stopBtn.disabled = true;
    startBtn.disabled = false;
    if (why) status.textContent = why;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    stop();
    const q = new URLSearchParams();
    q.set('target', form.querySelector('#tap-target').value.trim());
    q.set('namespace', form.querySelector('#tap-namespace').value.trim() || 'default');
    const path = form.querySelector('#tap-path').value.trim();
    const method = form.querySelector('#tap-method').value;
    const rps = form.querySelector('#tap-rps').value;
    if (path !== '') q.set('path', path);
    if (method !== '') q.set('method', method);
    if (rps !== '') q.set('max_rps', rps);
    const mine = new AbortController();
    controller = mine;
    stopBtn.disabled = false;
    startBtn.disabled = true;
    tbody.replaceChildren();
    count = 0;
    status.textContent = `Tapping ${q.get('target')}.${q.get('namespace')}…`;
    try {
      const res = await stream(`/api/v1/tap?${q}`, mine.signal);
      await readLines(res.body, (line) => {
        const ev = JSON.parse(line);
        if (ev.time === undefined) return; // heartbeat
        count++;
        tbody.prepend(tapRow(ev));
        while (tbody.childElementCount > MAX_ROWS) tbody.lastElementChild.remove();
        status.textContent = `Tapping ${q.get('target')}.${q.get('namespace')}: ${count} requests.`;
      });
      if (controller === mine) stop(`Stream ended after ${count} requests.`);
    } catch (e) {
      if (e.name === 'AbortError') {
        status.textContent = `Stopped after ${count} requests.`;
        return;
      }
      if (controller === mine) stop();
      fill(status, notice(`tap failed: ${e.message}`));
    }
  });
  stopBtn.addEventListener('click', () => stop(`Stopped after ${count} requests.`));
  return () => stop();
}

/** Calls `onLine` for every complete non-empty line of a byte stream. */
async function readLines(body, onLine) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') onLine(line);
    }
  }
  if (buf.trim() !== '') onLine(buf.trim());
}

function tapRow(ev) {
  const s = ev.status ?? 0;
  const cls = s >= 500 || s === 0 ? 'bad' : s >= 400 ? 'warn' : 'ok';
  const who = (w) => h('span', { title: w?.principal ?? '' }, w?.workload ?? w?.service ?? 'unknown');
  return h(
    'tr',
    {},
    h('td', {}, new Date(ev.time).toLocaleTimeString()),
    h('td', {}, ev.reporter),
    h('td', {}, who(ev.source)),
    h('td', {}, h('span', { title: ev.destination?.principal ?? '' }, ev.destination?.workload && ev.destination.workload !== 'unknown' ? ev.destination.workload : (ev.destination?.service ?? 'unknown'))),
    h('td', {}, ev.method),
    h('td', {}, ev.authority),
    h('td', { class: 'path' }, ev.path),
    h('td', {}, h('span', { class: `health ${cls}` }, String(s) + (ev.grpcStatus !== undefined && ev.grpcStatus !== null ? ` / grpc ${ev.grpcStatus}` : ''))),
    h('td', {}, fmtMs(ev.durationMs)),
    h('td', {}, ev.responseFlags ?? '-'),
    h('td', {}, ev.mtls ? lock() : 'no'),
  );
}
