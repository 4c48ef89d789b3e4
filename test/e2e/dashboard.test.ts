// E2E (dashboard): a real control plane and mesh with traffic, the web UI driven in headless Chromium — login, graph, service charts, config diff and rollback, proxies, tap; screenshots saved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';
import { graphFixture, historyFixture, statsFixture, tapFixture } from './dashboard-fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts/dashboard');
const skip = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (scripts/install-system-deps.sh installs Debian's chromium; or set CHROMIUM_PATH)`;

const MESH = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: default}
spec:
  selector: {app: productpage}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const CANARY = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}
`;

/** A VirtualService naming a subset nobody defines: the analyzer reports it (IST0101). */
const BROKEN = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - route:
    - {destination: {host: reviews, subset: v3}}
`;

/** Which contract APIs this control plane lacks (404): those are answered with fixtures in the browser. */
async function missingApis(control: Control): Promise<Set<string>> {
  const probes: Record<string, string> = {
    graph: '/api/v1/graph?window=60s',
    stats: '/api/v1/stats?by=service&window=60s',
    history: '/api/v1/stats/history?kind=service&namespace=default&name=reviews&window=15m&step=10s',
  };
  const missing = new Set<string>();
  for (const [name, p] of Object.entries(probes)) {
    const res = await fetch(control.url + p, { headers: { authorization: `Bearer ${control.token()}` } });
    await res.body?.cancel();
    if (res.status === 404) missing.add(name);
  }
  // a 404 comes at once; a live tap may hold its headers until the first event: no answer in 3 s means it is there
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 3000);
  try {
    const tap = await fetch(`${control.url}/api/v1/tap?target=reviews&namespace=default`, { headers: { authorization: `Bearer ${control.token()}` }, signal: ac.signal });
    if (tap.status === 404) missing.add('tap');
  } catch {
    /* aborted while waiting: served */
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return missing;
}

describe('dashboard in Chromium', { skip }, () => {
  let control: Control;
  const sidecars: Sidecar[] = [];
  const apps: Upstream[] = [];
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let missing = new Set<string>();
  const problems: string[] = [];
  let traffic: NodeJS.Timeout | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  const loaded = (pageName: string): Promise<unknown> => page.waitForSelector(`section.page-${pageName}[data-loaded="true"]`, { timeout: 15_000 });

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    control = await startControl();
    assert.equal((await applyYaml(control, MESH, 'services')).code, 0);
    assert.equal((await applyYaml(control, CANARY, 'canary 50/50')).code, 0);
    assert.equal((await applyYaml(control, BROKEN, 'ratings route')).code, 0);
    let n = 0;
    // reviews-v2 fails one request in ten: its edges are not green
    apps.push(await startUpstream('reviews-v1'));
    apps.push(
      await startUpstream('reviews-v2', (_req, res) => {
        res.statusCode = ++n % 10 === 0 ? 500 : 200;
        res.end('reviews-v2');
      }),
    );
    sidecars.push(await startSidecar(control, { service: 'reviews', labels: 'app=reviews,version=v1', servicePort: 9080, appPort: apps[0]!.port, serviceAccount: 'reviews' }));
    sidecars.push(await startSidecar(control, { service: 'reviews', labels: 'app=reviews,version=v2', servicePort: 9080, appPort: apps[1]!.port, serviceAccount: 'reviews' }));
    sidecars.push(await startSidecar(control, { service: 'productpage', labels: 'app=productpage,version=v1', servicePort: 9080, serviceAccount: 'productpage' }));
    const client = sidecars[2]!;
    await waitFor(async () => (await request(client.outboundPort, { host: 'reviews:9080', path: '/reviews/0' })).status === 200 || undefined, 15_000, 'productpage → reviews through the mesh');
    // steady traffic while the pages are open
    const send = (): void => {
      for (let i = 0; i < 4; i++) {
        const req = http.request({ host: '127.0.0.1', port: client.outboundPort, path: `/reviews/${i}`, headers: { host: 'reviews:9080' }, agent }, (res) => res.resume());
        req.on('error', () => {});
        req.end();
      }
    };
    traffic = setInterval(send, 100);
    missing = await missingApis(control);
    if (missing.size > 0) console.log(`# dashboard: ${[...missing].join(', ')} not served by this control plane yet: answered with fixtures`);

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // fixtures check the credential as the real APIs do (so a refused token returns to login there too)
    const fixture = (name: string, pattern: string | RegExp, body: (url: URL) => { json?: unknown; ndjson?: string }): Promise<unknown> | undefined => {
      if (!missing.has(name)) return undefined;
      return context.route(pattern, (r) => {
        if (r.request().headers().authorization !== `Bearer ${control.token()}`) return r.fulfill({ status: 401, json: { error: 'the bearer token is not valid' } });
        const out = body(new URL(r.request().url()));
        return out.ndjson !== undefined ? r.fulfill({ status: 200, contentType: 'application/x-ndjson', body: out.ndjson }) : r.fulfill({ json: out.json });
      });
    };
    await fixture('graph', '**/api/v1/graph?*', () => ({ json: graphFixture() }));
    await fixture('stats', /\/api\/v1\/stats\?/, () => ({ json: statsFixture() }));
    await fixture('history', '**/api/v1/stats/history?*', (u) => ({ json: historyFixture(u.searchParams.get('kind')!, u.searchParams.get('namespace')!, u.searchParams.get('name')!) }));
    await fixture('tap', '**/api/v1/tap?*', () => ({ ndjson: tapFixture() }));
  });

  after(async () => {
    clearInterval(traffic);
    agent.destroy();
    await browser?.close();
    await Promise.all(sidecars.map((s) => s.stop()));
    await Promise.all(apps.map((a) => a.close()));
    await control?.stop();
  });

  it('asks for the admin token, refuses a wrong one, and signs in', async () => {
    assert.match(control.out(), new RegExp(`^dashboard: ${control.url}/ `, 'm'), 'trellis control says where the dashboard is');
    await page.goto(`${control.url}/`);
    await page.waitForSelector('form#login');
    await shot('login');
    await page.fill('#token', 'not-the-token');
    await page.click('form#login button[type=submit]');
    await page.waitForSelector('.login-error:has-text("refused")');
    await page.fill('#token', control.token());
    await page.click('form#login button[type=submit]');
    await loaded('graph');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('trellis.adminToken')), control.token());
  });

  it('graph: services and workloads as nodes, edges coloured by success rate with mTLS locks', async () => {
    const want = ['workload:default/productpage-v1', 'service:default/reviews', 'workload:default/reviews-v1', 'workload:default/reviews-v2'];
    const graph = await waitFor(
      async () => {
        const g = await page.evaluate(() => {
          const cy = (window as unknown as { __trellisGraph?: { nodes(): { map<T>(f: (n: { id(): string }) => T): T[] }; edges(): { map<T>(f: (e: { data(k: string): unknown }) => T): T[] } } }).__trellisGraph;
          if (cy === undefined) return undefined;
          return {
            nodes: cy.nodes().map((n) => n.id()),
            edges: cy.edges().map((e) => ({ source: e.data('source') as string, target: e.data('target') as string, health: e.data('health') as string, label: e.data('label') as string, mtls: e.data('mtls') as boolean })),
          };
        });
        return g !== undefined && want.every((id) => g.nodes.includes(id)) && g.edges.length >= 3 ? g : undefined;
      },
      30_000,
      'the graph with productpage → reviews → reviews-v1/v2',
      500,
    );
    const edge = (s: string, t: string) => graph!.edges.find((e) => e.source === s && e.target === t);
    const toService = edge('workload:default/productpage-v1', 'service:default/reviews');
    assert.ok(toService, JSON.stringify(graph));
    assert.ok(edge('service:default/reviews', 'workload:default/reviews-v1'), JSON.stringify(graph));
    const toV2 = edge('service:default/reviews', 'workload:default/reviews-v2');
    assert.ok(toV2, JSON.stringify(graph));
    // v2 fails one in ten: below 95 %
    assert.equal(toV2.health, 'bad', JSON.stringify(toV2));
    assert.equal(edge('service:default/reviews', 'workload:default/reviews-v1')!.health, 'ok');
    assert.ok(toService.mtls, 'sidecar to sidecar is mTLS');
    assert.match(toService.label, /^mTLS · .*\/s · p99 /);
    await shot('graph');
    // a refresh updates the elements in place: no node moves when the set of nodes and edges is unchanged
    type Positions = Record<string, { x: number; y: number }>;
    const positions = (): Promise<Positions> =>
      page.evaluate(() => {
        const cy = (window as unknown as { __trellisGraph: { nodes(): { forEach(f: (n: { id(): string; position(): { x: number; y: number } }) => void): void } } }).__trellisGraph;
        const out: Record<string, { x: number; y: number }> = {};
        cy.nodes().forEach((n) => (out[n.id()] = { ...n.position() }));
        return out;
      });
    const before = await positions();
    const stamp = await page.textContent('#graph-status');
    await waitFor(async () => ((await page.textContent('#graph-status')) !== stamp ? true : undefined), 15_000, 'the next graph refresh', 200);
    const after = await positions();
    if (Object.keys(after).sort().join() === Object.keys(before).sort().join()) assert.deepEqual(after, before);
    // an edge's details: identities, rates, latencies
    await page.evaluate((id) => {
      const cy = (window as unknown as { __trellisGraph: { edges(): { filter(f: (e: { data(k: string): string }) => boolean): { emit(e: string): void } } } }).__trellisGraph;
      cy.edges().filter((e) => e.data('source') === id).emit('tap');
    }, 'workload:default/productpage-v1');
    const details = await page.textContent('#graph-details');
    assert.match(details!, /productpage-v1 → reviews/);
    assert.match(details!, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/productpage/);
    assert.match(details!, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews/);
    assert.match(details!, /p50 .* p90 .* p99 /);
    await shot('graph-edge-details');
  });

  it('service page: rate, error and latency charts drawn, and the inbound and outbound edges', async () => {
    await page.goto(`${control.url}/#/service/default/reviews`);
    await loaded('service');
    const charts = await waitFor(
      async () => {
        const c = await page.evaluate(() => {
          const plots = (window as unknown as { __trellisCharts?: { series: unknown[]; data: unknown[][]; root: HTMLElement }[] }).__trellisCharts ?? [];
          return plots.map((u) => {
            const canvas = u.root.querySelector('canvas');
            return { series: u.series.length, points: u.data[0]?.length ?? 0, w: canvas?.width ?? 0, h: canvas?.height ?? 0 };
          });
        });
        return c.length === 3 && c.every((x) => x.points >= 2) ? c : undefined;
      },
      30_000,
      'three charts with data',
      500,
    );
    assert.deepEqual(
      charts!.map((c) => c.series),
      [2, 2, 4],
      'x + requests, x + errors, x + p50/p90/p99',
    );
    for (const c of charts!) assert.ok(c.w > 100 && c.h > 100, JSON.stringify(c));
    const inbound = await page.textContent('#edges-in');
    assert.match(inbound!, /productpage-v1/);
    const outbound = await page.textContent('#edges-out');
    assert.match(outbound!, /reviews-v1/);
    await shot('service');
    await page.goto(`${control.url}/#/services`);
    await page.waitForSelector('#stats-table table');
    assert.match((await page.textContent('#stats-table'))!, /reviews/);
    await shot('services');
  });

  it('config page: resources, validation messages, a diff, and a rollback only after confirmation', async () => {
    await page.goto(`${control.url}/#/config`);
    await loaded('config');
    const resources = (await page.textContent('#resource-table'))!;
    for (const r of ['Service', 'DestinationRule', 'VirtualService', 'reviews', 'productpage', 'ratings']) assert.ok(resources.includes(r), `${r} in ${resources}`);
    assert.match((await page.textContent('#analysis'))!, /IST0101/);
    // revisions 1..3: diff 1 → 3 shows the VirtualServices added
    await page.selectOption('#diff-from', '1');
    await page.selectOption('#diff-to', '3');
    await page.click('#diff-show');
    await page.waitForSelector('#diff .diff-entry');
    const diff = (await page.textContent('#diff'))!;
    assert.match(diff, /added\s*VirtualService\/default\/reviews/);
    assert.ok((await page.locator('#diff pre.diff .add').count()) > 3);
    await shot('config-diff');

    // cancel first: nothing changes
    await page.click('button[data-rollback="1"]');
    await page.waitForSelector('dialog#rollback-dialog[open]');
    await shot('config-rollback-confirm');
    await page.click('#rollback-cancel');
    await page.waitForSelector('dialog#rollback-dialog', { state: 'detached' });
    const revisionNow = async (): Promise<{ revision: number; message: string }[]> => (await (await fetch(`${control.url}/api/v1/revisions`)).json()) as { revision: number; message: string }[];
    assert.equal(Math.max(...(await revisionNow()).map((r) => r.revision)), 3);

    await page.click('button[data-rollback="1"]');
    await page.fill('#rollback-message', 'back to plain services');
    await page.click('#rollback-confirm');
    await page.waitForSelector('#config-banner:has-text("now at revision 4")');
    const revs = await revisionNow();
    const latest = revs.find((r) => r.revision === 4);
    assert.equal(latest?.message, 'back to plain services');
    const list = (await (await fetch(`${control.url}/api/v1/resources?kind=VirtualService`)).json()) as unknown[];
    assert.equal(list.length, 0, 'revision 1 had no VirtualService');
    await page.waitForSelector('#revision-table');
    await shot('config');
  });

  it('proxies page: every proxy with per-type sync status and its certificate expiry', async () => {
    await page.goto(`${control.url}/#/proxies`);
    await loaded('proxies');
    const text = await waitFor(
      async () => {
        const t = (await page.textContent('#proxy-table')) ?? '';
        return (t.match(/expires in 23h/g) ?? []).length === 3 ? t : undefined;
      },
      15_000,
      'three proxies with certificates',
      250,
    );
    assert.equal(await page.locator('#proxy-table tbody tr').count(), 3);
    for (const w of ['productpage v1', 'reviews v1', 'reviews v2']) assert.ok(text!.includes(w), `${w} in ${text}`);
    assert.ok((await page.locator('#proxy-table .badge.ok:text("SYNCED")').count()) >= 3 * 4);
    assert.match(text!, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews/);
    await shot('proxies');
  });

  it('tap: live requests stream into the table until stopped', async () => {
    await page.goto(`${control.url}/#/tap`);
    await page.fill('#tap-target', 'reviews');
    await page.click('#tap-start');
    await page.waitForSelector('#tap-rows tr', { timeout: 15_000 });
    await waitFor(async () => ((await page.locator('#tap-rows tr').count()) >= 3 ? true : undefined), 15_000, 'three tapped requests', 200);
    const rows = (await page.textContent('#tap-rows'))!;
    assert.match(rows, /reviews/);
    assert.match(rows, /GET/);
    await shot('tap');
    // a live tap runs until stopped; a fixture's stream ends by itself
    if (await page.isEnabled('#tap-stop')) {
      await page.click('#tap-stop');
      await page.waitForSelector('#tap-status:has-text("Stopped")');
    } else await page.waitForSelector('#tap-status:has-text("ended")');
  });

  it('#token= signs in once and leaves the address bar; a refused token returns to login', async () => {
    const fresh = await context.newPage();
    await fresh.goto(`${control.url}/#token=${encodeURIComponent(control.token())}`);
    await fresh.waitForSelector('section.page-graph');
    assert.ok(!fresh.url().includes('token='), fresh.url());
    await fresh.evaluate(() => sessionStorage.setItem('trellis.adminToken', 'stale'));
    await fresh.goto(`${control.url}/#/services`);
    await fresh.waitForSelector('form#login');
    assert.match((await fresh.textContent('.login-error'))!, /401/);
    await fresh.close();
  });

  it('no console errors and no CSP violations on any page', () => {
    assert.deepEqual(
      problems.filter((p) => !/status of 401/.test(p)),
      [],
    );
  });
});
