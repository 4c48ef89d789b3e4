// Dashboard (browser): small DOM and formatting helpers — elements built with textContent (never innerHTML of API data).
/** h('div', {class: 'x', onclick: fn}, child, 'text', …) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtRate(r) {
  if (r === null || r === undefined) return '–';
  if (r === 0) return '0/s';
  return r >= 10 ? `${r.toFixed(0)}/s` : r >= 1 ? `${r.toFixed(1)}/s` : `${r.toFixed(2)}/s`;
}

export function fmtPct(x) {
  if (x === null || x === undefined) return '–';
  const p = x * 100;
  return p === 100 || p === 0 ? `${p.toFixed(0)}%` : `${p.toFixed(p >= 99 ? 2 : 1)}%`;
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : ms >= 10 ? `${ms.toFixed(0)}ms` : `${ms.toFixed(1)}ms`;
}

export function fmtBytes(b) {
  if (b === null || b === undefined) return '–';
  if (b < 1024) return `${b.toFixed(0)} B/s`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB/s`;
  return `${(b / 1024 / 1024).toFixed(1)} MiB/s`;
}

/** "in 23h 59m", "3m ago". */
export function fmtRelative(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '–';
  const d = t - now;
  const a = Math.abs(d) / 1000;
  const text = a < 60 ? `${a.toFixed(0)}s` : a < 3600 ? `${Math.floor(a / 60)}m` : a < 86400 ? `${Math.floor(a / 3600)}h ${Math.floor((a % 3600) / 60)}m` : `${Math.floor(a / 86400)}d ${Math.floor((a % 86400) / 3600)}h`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

/** Success-rate class of an edge or row: Kiali's thresholds (green ≥ 99 %, amber ≥ 95 %, red below). */
export function healthOf(successRate, requestRate) {
  if (requestRate === 0 || successRate === null || successRate === undefined) return 'idle';
  return successRate >= 0.99 ? 'ok' : successRate >= 0.95 ? 'warn' : 'bad';
}

export const HEALTH_COLORS = { ok: '#2e9d5b', warn: '#d99a17', bad: '#d64545', idle: '#9aa3ad' };

/** A message line in a page (errors of a fetch). */
export function notice(text, kind = 'error') {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
}

/** A table: columns [{label, cell(row) → node|string}], rows. */
export function table(columns, rows, attrs = {}) {
  return h(
    'table',
    { class: 'grid', ...attrs },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', c0(r), columns.map((c) => h('td', c.cls ? { class: c.cls(r) } : {}, c.cell(r)))))),
  );
}

function c0(r) {
  return r && r.__rowAttrs ? r.__rowAttrs : {};
}

/** The mTLS lock as an image (an emoji needs a colour-emoji font, which servers and minimal desktops lack). */
export function lock(title = 'mTLS') {
  return h('img', { src: '/assets/lock.svg', alt: title, title, class: 'lock', width: 14, height: 14 });
}

/**
 * Runs `load(stopped)` now and again `ms` after each run ends; a change on `trigger` (a select) runs it at once.
 * Returns the stop function a page's unmount calls; `stopped()` tells a run in flight that the page is gone.
 */
export function poll(ms, load, trigger) {
  let timer;
  let stopped = false;
  const run = async () => {
    clearTimeout(timer);
    await load(() => stopped);
    if (!stopped) timer = setTimeout(run, ms);
  };
  trigger?.addEventListener('change', () => void run());
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
