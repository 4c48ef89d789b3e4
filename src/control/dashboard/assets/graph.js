// Dashboard (browser): the service graph — cytoscape over GET /api/v1/graph, edges coloured by success rate, refreshed in place (layout only when nodes change).
import cytoscape from '/vendor/cytoscape.mjs';
import { getJson } from './api.js';
import { HEALTH_COLORS, fill, lock, fmtBytes, fmtMs, fmtPct, fmtRate, h, healthOf, poll } from './dom.js';

const REFRESH_MS = 5000;

/** Cytoscape's element data for one graph node. */
function nodeData(n) {
  const label = n.kind === 'workload' ? n.name : n.kind === 'service' ? n.name : n.name || n.id;
  return { ...n, label, nsLabel: n.namespace ? `${label}\n${n.namespace}` : label };
}

/** Cytoscape's element data for one edge: colour class and label computed here so the stylesheet stays static. */
function edgeData(e) {
  const health = healthOf(e.successRate, e.requestRate);
  const rate = e.protocol === 'tcp' ? fmtBytes(e.bytesPerSec) : fmtRate(e.requestRate);
  const p99 = e.protocol === 'tcp' || e.p99Ms === null ? '' : ` · p99 ${fmtMs(e.p99Ms)}`;
  // canvas text: a word, since the 🔒 emoji needs a colour-emoji font that many machines lack
  return { ...e, health, label: `${e.mtls ? 'mTLS · ' : ''}${rate}${p99}` };
}

const STYLE = [
  {
    selector: 'node',
    style: {
      label: 'data(nsLabel)',
      'text-wrap': 'wrap',
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'font-size': 11,
      color: '#1f2933',
      width: 34,
      height: 34,
      'background-color': '#6b7c93',
      'border-width': 2,
      'border-color': '#fff',
    },
  },
  { selector: 'node[kind = "service"]', style: { shape: 'triangle', 'background-color': '#3b73b9' } },
  { selector: 'node[kind = "workload"]', style: { shape: 'round-rectangle', 'background-color': '#5a9e8f', width: 40, height: 28 } },
  { selector: 'node[kind = "unknown"]', style: { shape: 'diamond', 'background-color': '#9aa3ad' } },
  { selector: 'node:selected', style: { 'border-color': '#f0b400', 'border-width': 4 } },
  {
    selector: 'edge',
    style: {
      width: 2.5,
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      label: 'data(label)',
      'font-size': 10,
      'text-rotation': 'autorotate',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.85,
      'text-background-padding': 2,
      color: '#334',
    },
  },
  ...Object.entries(HEALTH_COLORS).map(([k, c]) => ({ selector: `edge[health = "${k}"]`, style: { 'line-color': c, 'target-arrow-color': c } })),
  { selector: 'edge[?mtls]', style: { 'line-style': 'solid' } },
  { selector: 'edge[!mtls]', style: { 'line-style': 'dashed' } },
  { selector: 'edge:selected', style: { width: 5 } },
];

export function mount(root) {
  const status = h('span', { class: 'muted', id: 'graph-status' }, 'loading…');
  const windowSel = h('select', { id: 'graph-window' }, ['1m', '5m', '15m'].map((w) => h('option', { value: w === '1m' ? '60s' : w }, `last ${w}`)));
  const canvas = h('div', { class: 'graph-canvas', id: 'graph' });
  const details = h('aside', { class: 'details', id: 'graph-details' }, h('p', { class: 'muted' }, 'Click a node or an edge for details.'));
  const legend = h(
    'div',
    { class: 'legend' },
    h('span', { class: 'swatch ok' }, '≥ 99 %'),
    h('span', { class: 'swatch warn' }, '≥ 95 %'),
    h('span', { class: 'swatch bad' }, '< 95 %'),
    h('span', {}, lock(), ' mTLS: solid, plaintext: dashed'),
    h('span', {}, '▲ service ▬ workload'),
  );
  fill(root, h('div', { class: 'toolbar' }, h('h1', {}, 'Service graph'), windowSel, status, legend), h('div', { class: 'graph-wrap' }, canvas, details));

  const cy = cytoscape({ container: canvas, style: STYLE, elements: [], minZoom: 0.2, maxZoom: 3 });
  // tests read nodes and edges from here
  window.__trellisGraph = cy;
  let selected = null;
  let lastGraph = null;

  const showDetails = () => {
    if (selected === null || cy.getElementById(selected).empty()) {
      fill(details, h('p', { class: 'muted' }, 'Click a node or an edge for details.'));
      return;
    }
    const el = cy.getElementById(selected);
    fill(details, el.isNode() ? nodeDetails(el.data(), lastGraph) : edgeDetails(el.data(), lastGraph));
  };
  cy.on('tap', 'node, edge', (ev) => {
    selected = ev.target.id();
    showDetails();
  });
  cy.on('tap', (ev) => {
    if (ev.target === cy) {
      selected = null;
      showDetails();
    }
  });

  const stop = poll(REFRESH_MS, async (stopped) => {
    try {
      const g = await getJson(`/api/v1/graph?window=${encodeURIComponent(windowSel.value)}`);
      if (stopped()) return;
      lastGraph = g;
      apply(cy, g);
      // replicas each scrape their own proxies: a replica that did not answer leaves a hole worth naming
      const missing = (g.replicas?.unreachable ?? []).map((u) => u.replica);
      status.textContent = `${g.nodes.length} nodes, ${g.edges.length} edges · updated ${new Date(g.generatedAt ?? Date.now()).toLocaleTimeString()}${missing.length > 0 ? ` · replica ${missing.join(', ')} did not answer: its proxies' traffic is missing` : ''}`;
      root.dataset.loaded = 'true';
      showDetails();
    } catch (e) {
      if (!stopped()) status.textContent = `graph unavailable: ${e.message}`;
    }
  }, windowSel);
  return () => {
    stop();
    cy.destroy();
    if (window.__trellisGraph === cy) window.__trellisGraph = undefined;
  };
}

/** Updates the elements in place; lays out again only when the set of nodes or edges changed. */
function apply(cy, g) {
  const want = new Set([...g.nodes.map((n) => n.id), ...g.edges.map((e) => e.id)]);
  let changed = false;
  cy.batch(() => {
    cy.elements().forEach((el) => {
      if (!want.has(el.id())) {
        el.remove();
        changed = true;
      }
    });
    for (const n of g.nodes) {
      const el = cy.getElementById(n.id);
      if (el.empty()) {
        cy.add({ group: 'nodes', data: nodeData(n) });
        changed = true;
      } else el.data(nodeData(n));
    }
    for (const e of g.edges) {
      const el = cy.getElementById(e.id);
      if (el.empty()) {
        if (cy.getElementById(e.source).empty() || cy.getElementById(e.target).empty()) continue;
        cy.add({ group: 'edges', data: edgeData(e) });
        changed = true;
      } else el.data(edgeData(e));
    }
  });
  if (changed) {
    const roots = cy.nodes().filter((n) => n.indegree(false) === 0);
    // breadthfirst is top-down: swapping x and y gives the left-to-right reading of a call graph
    cy.layout({
      name: 'breadthfirst',
      directed: true,
      roots: roots.nonempty() ? roots : undefined,
      spacingFactor: 1.1,
      padding: 30,
      animate: false,
      transform: (_node, pos) => ({ x: pos.y * 1.6, y: pos.x * 0.7 }),
    }).run();
    cy.fit(undefined, 40);
  }
}

function row(label, value) {
  return h('tr', {}, h('th', {}, label), h('td', {}, value));
}

function pageLink(n) {
  if (n.kind !== 'service' && n.kind !== 'workload') return null;
  return h('a', { href: `#/${n.kind}/${encodeURIComponent(n.namespace)}/${encodeURIComponent(n.name)}`, class: 'button' }, `Open ${n.kind} page →`);
}

function nodeDetails(n, g) {
  const inbound = (g?.edges ?? []).filter((e) => e.target === n.id);
  const outbound = (g?.edges ?? []).filter((e) => e.source === n.id);
  const sum = (es, f) => es.reduce((a, e) => a + (e[f] ?? 0), 0);
  return [
    h('h2', {}, n.name),
    h(
      'table',
      { class: 'kv' },
      row('kind', n.kind),
      row('namespace', n.namespace ?? '–'),
      n.app ? row('app', n.app) : null,
      n.version ? row('version', n.version) : null,
      n.service ? row('service', n.service) : null,
      row('inbound', `${inbound.length} edges, ${fmtRate(sum(inbound, 'requestRate'))}`),
      row('outbound', `${outbound.length} edges, ${fmtRate(sum(outbound, 'requestRate'))}`),
      row('identities in', [...new Set(inbound.flatMap((e) => e.destinationPrincipals ?? []))].join(', ') || '–'),
    ),
    pageLink(n),
  ];
}

function edgeDetails(e, g) {
  const name = (id) => g?.nodes.find((n) => n.id === id)?.name ?? id;
  return [
    h('h2', {}, `${name(e.source)} → ${name(e.target)}`),
    h(
      'table',
      { class: 'kv' },
      row('protocol', e.protocol),
      row('requests', fmtRate(e.requestRate)),
      row('errors', fmtRate(e.errorRate)),
      row('success', h('span', { class: `health ${e.health}` }, fmtPct(e.successRate))),
      row('latency', `p50 ${fmtMs(e.p50Ms)} · p90 ${fmtMs(e.p90Ms)} · p99 ${fmtMs(e.p99Ms)}`),
      row('bytes', fmtBytes(e.bytesPerSec)),
      row('mTLS', e.mtls ? [lock(), ' yes'] : 'no'),
      row('source identities', h('div', { class: 'ids' }, (e.sourcePrincipals ?? []).map((p) => h('code', {}, p)))),
      row('destination identities', h('div', { class: 'ids' }, (e.destinationPrincipals ?? []).map((p) => h('code', {}, p)))),
    ),
  ];
}
