// Dashboard (browser): services — a table of golden metrics (GET /api/v1/stats), and one service's or workload's page: uPlot charts of /stats/history and its edges.
import uPlot from '/vendor/uplot.mjs';
import { getJson } from './api.js';
import { fill, lock, fmtMs, fmtPct, fmtRate, h, healthOf, notice, poll, table } from './dom.js';

const REFRESH_MS = 10000;

export function mount(root, { page, args }) {
  if (page === 'services' || args.length < 2) return mountList(root);
  return mountOne(root, page === 'workload' ? 'workload' : 'service', args[0], args[1]);
}

function mountList(root) {
  const by = h('select', { id: 'stats-by' }, h('option', { value: 'service' }, 'by service'), h('option', { value: 'workload' }, 'by workload'));
  const body = h('div', { id: 'stats-table' }, h('p', { class: 'muted' }, 'loading…'));
  fill(root, h('div', { class: 'toolbar' }, h('h1', {}, 'Services'), by, h('span', { class: 'muted' }, 'last 60 s')), body);
  const stop = poll(REFRESH_MS, async (stopped) => {
    try {
      const s = await getJson(`/api/v1/stats?by=${by.value}&window=60s`);
      if (stopped()) return;
      const kind = by.value;
      fill(
        body,
        s.items.length === 0
          ? h('p', { class: 'muted' }, 'No traffic seen yet.')
          : table(
              [
                { label: 'name', cell: (r) => h('a', { href: `#/${kind}/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}` }, r.name) },
                { label: 'namespace', cell: (r) => r.namespace },
                { label: 'requests', cell: (r) => fmtRate(r.requestRate) },
                { label: 'success', cell: (r) => h('span', { class: `health ${healthOf(r.successRate, r.requestRate)}` }, fmtPct(r.successRate)) },
                { label: 'p50', cell: (r) => fmtMs(r.p50Ms) },
                { label: 'p90', cell: (r) => fmtMs(r.p90Ms) },
                { label: 'p99', cell: (r) => fmtMs(r.p99Ms) },
                { label: 'mTLS', cell: (r) => fmtPct(r.mtlsRate) },
                { label: 'TCP conns', cell: (r) => String(r.tcpOpenConnections ?? 0) },
              ],
              s.items,
            ),
      );
    } catch (e) {
      if (!stopped()) fill(body, notice(`stats unavailable: ${e.message}`));
    }
  }, by);
  return stop;
}

/** Chart definitions: [title, series [label, field, colour]] over the history points. */
const CHARTS = [
  ['Request rate (req/s)', [['requests', 'requestRate', '#3b73b9']]],
  ['Error rate (req/s)', [['errors', 'errorRate', '#d64545']]],
  [
    'Latency (ms)',
    [
      ['p50', 'p50Ms', '#2e9d5b'],
      ['p90', 'p90Ms', '#d99a17'],
      ['p99', 'p99Ms', '#d64545'],
    ],
  ],
];

function mountOne(root, kind, namespace, name) {
  const windowSel = h('select', { id: 'history-window' }, h('option', { value: '15m' }, 'last 15 min'), h('option', { value: '5m' }, 'last 5 min'), h('option', { value: '1h' }, 'last hour'));
  const charts = h('div', { class: 'charts', id: 'charts' });
  const edges = h('div', { class: 'edges', id: 'service-edges' });
  const msg = h('div', {});
  fill(
    root,
    h('div', { class: 'toolbar' }, h('a', { href: '#/services', class: 'muted' }, '← services'), h('h1', {}, `${kind} ${name}`), h('span', { class: 'muted' }, namespace), windowSel),
    msg,
    charts,
    edges,
  );
  const plots = CHARTS.map(([title, series]) => {
    const box = h('div', { class: 'chart' });
    charts.append(box);
    const opts = {
      title,
      width: 400,
      height: 200,
      scales: { x: { time: true } },
      series: [{}, ...series.map(([label, , stroke]) => ({ label, stroke, width: 2, spanGaps: false }))],
      axes: [{}, { size: 50 }],
    };
    const u = new uPlot(opts, [[], ...series.map(() => [])], box);
    return { u, series, box };
  });
  // charts follow the width of their column
  const resize = () => {
    for (const p of plots) p.u.setSize({ width: Math.max(280, p.box.clientWidth - 4), height: 200 });
  };
  const ro = new ResizeObserver(resize);
  ro.observe(charts);
  window.__trellisCharts = plots.map((p) => p.u);

  const stop = poll(REFRESH_MS, async (stopped) => {
    try {
      const step = windowSel.value === '1h' ? '30s' : '10s';
      const q = `kind=${kind}&namespace=${encodeURIComponent(namespace)}&name=${encodeURIComponent(name)}&window=${windowSel.value}&step=${step}`;
      const [hist, graph] = await Promise.all([getJson(`/api/v1/stats/history?${q}`), getJson(`/api/v1/graph?window=60s&namespace=${encodeURIComponent(namespace)}`).catch(() => null)]);
      if (stopped()) return;
      const xs = hist.points.map((p) => p.t / 1000);
      for (const p of plots) p.u.setData([xs, ...p.series.map(([, field]) => hist.points.map((pt) => pt[field] ?? null))]);
      fill(msg, hist.points.length === 0 ? notice('No history yet for this window.', 'info') : null);
      if (graph !== null) fill(edges, edgeTables(graph, kind, namespace, name));
      root.dataset.loaded = 'true';
    } catch (e) {
      if (!stopped()) fill(msg, notice(`history unavailable: ${e.message}`));
    }
  }, windowSel);
  return () => {
    stop();
    ro.disconnect();
    for (const p of plots) p.u.destroy();
    window.__trellisCharts = undefined;
  };
}

/**
 * Inbound: edges into the node (a service's callers; a workload's service). Outbound: edges out of the node (a
 * service's to its workloads) and, for a service, the calls its workloads make.
 */
function edgeTables(g, kind, namespace, name) {
  const id = `${kind}:${namespace}/${name}`;
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const inbound = g.edges.filter((e) => e.target === id);
  const own = kind === 'service' ? new Set(g.edges.filter((e) => e.source === id).map((e) => e.target)) : new Set();
  const outbound = g.edges.filter((e) => e.source === id || own.has(e.source));
  const label = (nid) => {
    const n = byId.get(nid);
    if (n === undefined) return nid;
    return n.kind === 'service' || n.kind === 'workload' ? h('a', { href: `#/${n.kind}/${encodeURIComponent(n.namespace)}/${encodeURIComponent(n.name)}` }, `${n.kind} ${n.name}`) : n.name || nid;
  };
  const cols = [
    { label: 'from', cell: (e) => label(e.source) },
    { label: 'to', cell: (e) => label(e.target) },
    { label: 'protocol', cell: (e) => e.protocol },
    { label: 'requests', cell: (e) => fmtRate(e.requestRate) },
    { label: 'success', cell: (e) => h('span', { class: `health ${healthOf(e.successRate, e.requestRate)}` }, fmtPct(e.successRate)) },
    { label: 'p50 / p90 / p99', cell: (e) => `${fmtMs(e.p50Ms)} / ${fmtMs(e.p90Ms)} / ${fmtMs(e.p99Ms)}` },
    { label: 'mTLS', cell: (e) => (e.mtls ? lock() : 'no') },
  ];
  const section = (title, es, tid) => [h('h2', {}, title), es.length === 0 ? h('p', { class: 'muted' }, 'none in the last minute') : table(cols, es, { id: tid })];
  return [...section('Inbound', inbound, 'edges-in'), ...section('Outbound', outbound, 'edges-out')];
}
