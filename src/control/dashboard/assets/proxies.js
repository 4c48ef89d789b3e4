// Dashboard (browser): connected proxies — sync status per xDS type, NACK errors, identity and certificate expiry (GET /api/v1/proxies).
import { getJson } from './api.js';
import { fill, fmtRelative, h, notice, poll, table } from './dom.js';

const REFRESH_MS = 5000;
const TYPES = ['CDS', 'LDS', 'EDS', 'RDS'];
/** A certificate this close to expiry is shown amber (Istio renews at half life, so a healthy one never gets here). */
const CERT_WARN_MS = 3600 * 1000;

export function mount(root) {
  const body = h('div', { id: 'proxy-table-box' }, h('p', { class: 'muted' }, 'loading…'));
  const summary = h('span', { class: 'muted', id: 'proxy-summary' });
  fill(root, h('div', { class: 'toolbar' }, h('h1', {}, 'Proxies'), summary), body);
  const stop = poll(REFRESH_MS, async (stopped) => {
    try {
      const list = await getJson('/api/v1/proxies');
      if (stopped()) return;
      const nacked = list.filter((p) => p.status === 'NACKED').length;
      summary.textContent = `${list.length} connected${nacked > 0 ? `, ${nacked} rejecting config` : ''}`;
      fill(body, list.length === 0 ? h('p', { class: 'muted' }, 'No proxy is connected.') : proxyTable(list));
      root.dataset.loaded = 'true';
    } catch (e) {
      if (!stopped()) fill(body, notice(`proxies unavailable: ${e.message}`));
    }
  });
  return stop;
}

function statusBadge(status, title) {
  const cls = status === 'SYNCED' ? 'ok' : status === 'NACKED' ? 'bad' : status === 'STALE' ? 'warn' : 'idle';
  return h('span', { class: `badge ${cls}`, title }, status ?? '–');
}

function certCell(p) {
  if (p.certificate === undefined) return h('span', { class: 'muted' }, p.identity ? 'none issued' : '–');
  const left = Date.parse(p.certificate.expiresAt) - Date.now();
  const cls = left <= 0 ? 'bad' : left < CERT_WARN_MS ? 'warn' : 'ok';
  return h('span', { class: `health ${cls}`, title: `serial ${p.certificate.serial}\nissued ${p.certificate.issuedAt}\nexpires ${p.certificate.expiresAt}` }, `expires ${fmtRelative(p.certificate.expiresAt)}`);
}

function proxyTable(list) {
  const rows = [...list].sort((a, b) => a.id.localeCompare(b.id));
  const errors = rows.flatMap((p) => TYPES.filter((t) => p.types[t]?.error).map((t) => ({ id: p.id, type: t, error: p.types[t].error, status: p.types[t].status })));
  return [
    table(
      [
        { label: 'proxy', cell: (p) => h('span', { title: p.id }, p.id.split('~')[2] ?? p.id) },
        { label: 'namespace', cell: (p) => p.namespace },
        { label: 'type', cell: (p) => p.type },
        { label: 'workload', cell: (p) => [p.labels.app, p.labels.version].filter(Boolean).join(' ') || '–' },
        { label: 'address', cell: (p) => p.address },
        { label: 'status', cell: (p) => statusBadge(p.status) },
        ...TYPES.map((t) => ({
          label: t,
          cell: (p) => {
            const v = p.types[t];
            return v === undefined ? h('span', { class: 'muted' }, '–') : statusBadge(v.status, `sent ${v.sentVersion ?? '–'}\nacked ${v.ackedVersion ?? '–'}${v.error ? `\n${v.error}` : ''}`);
          },
        })),
        { label: 'identity', cell: (p) => (p.identity ? h('code', {}, p.identity) : h('span', { class: 'muted' }, 'plaintext')) },
        { label: 'certificate', cell: certCell },
        { label: 'connected', cell: (p) => fmtRelative(p.connectedAt) },
      ],
      rows,
      { id: 'proxy-table' },
    ),
    errors.length === 0
      ? null
      : [
          h('h2', {}, 'Rejected config (NACK) and generation errors'),
          table(
            [
              { label: 'proxy', cell: (e) => e.id },
              { label: 'type', cell: (e) => e.type },
              { label: 'status', cell: (e) => statusBadge(e.status) },
              { label: 'error', cell: (e) => h('pre', { class: 'error-text' }, e.error) },
            ],
            errors,
            { id: 'nack-table' },
          ),
        ],
  ];
}
