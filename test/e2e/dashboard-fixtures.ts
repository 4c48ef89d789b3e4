// E2E (dashboard): API answers in the shapes of the observability contract, for the APIs a control plane may not serve yet (graph, stats, history, tap); names match the test mesh.
const TD = 'cluster.local';
const principal = (sa: string): string => `spiffe://${TD}/ns/default/sa/${sa}`;

/** productpage-v1 → reviews → reviews-v1 / reviews-v2: what the test mesh's traffic produces. */
export function graphFixture(now = Date.now()): object {
  const edge = (source: string, target: string, requestRate: number, errorRate: number, p: [number, number, number], sa: [string, string]): object => ({
    id: `${source}->${target}`,
    source,
    target,
    protocol: 'http',
    requestRate,
    errorRate,
    successRate: requestRate === 0 ? null : 1 - errorRate / requestRate,
    p50Ms: p[0],
    p90Ms: p[1],
    p99Ms: p[2],
    bytesPerSec: requestRate * 180,
    mtls: true,
    sourcePrincipals: [principal(sa[0])],
    destinationPrincipals: [principal(sa[1])],
  });
  return {
    window: '60s',
    generatedAt: now,
    nodes: [
      { id: 'workload:default/productpage-v1', kind: 'workload', namespace: 'default', name: 'productpage-v1', app: 'productpage', version: 'v1' },
      { id: 'service:default/reviews', kind: 'service', namespace: 'default', name: 'reviews' },
      { id: 'workload:default/reviews-v1', kind: 'workload', namespace: 'default', name: 'reviews-v1', app: 'reviews', version: 'v1', service: 'reviews' },
      { id: 'workload:default/reviews-v2', kind: 'workload', namespace: 'default', name: 'reviews-v2', app: 'reviews', version: 'v2', service: 'reviews' },
    ],
    edges: [
      edge('workload:default/productpage-v1', 'service:default/reviews', 10, 0.5, [2.1, 4.8, 9.5], ['productpage', 'reviews']),
      edge('service:default/reviews', 'workload:default/reviews-v1', 5, 0, [1.9, 4.2, 8.1], ['productpage', 'reviews']),
      edge('service:default/reviews', 'workload:default/reviews-v2', 5, 0.5, [2.4, 5.1, 11.2], ['productpage', 'reviews']),
    ],
  };
}

export function statsFixture(): object {
  const item = (kind: string, name: string, requestRate: number, errorRate: number): object => ({
    kind,
    namespace: 'default',
    name,
    requestRate,
    errorRate,
    successRate: 1 - errorRate / requestRate,
    p50Ms: 2,
    p90Ms: 5,
    p99Ms: 10,
    tcpOpenConnections: 0,
    tcpBytesPerSec: 0,
    mtlsRate: 1,
  });
  return { window: '60s', items: [item('service', 'reviews', 10, 0.5), item('service', 'productpage', 0, 0)].slice(0, 1) };
}

/** 15 minutes at 10 s steps, with a gap (no requests) in the middle as the API reports it (nulls). */
export function historyFixture(kind: string, namespace: string, name: string, now = Date.now()): object {
  const points = [];
  for (let i = 90; i >= 0; i--) {
    const t = Math.floor((now - i * 10_000) / 10_000) * 10_000;
    const idle = i > 40 && i < 46;
    const wave = Math.sin(i / 8);
    points.push({
      t,
      requestRate: idle ? 0 : 8 + 3 * wave,
      errorRate: idle ? 0 : Math.max(0, 0.4 + 0.3 * Math.cos(i / 5)),
      p50Ms: idle ? null : 2 + wave * 0.5,
      p90Ms: idle ? null : 5 + wave,
      p99Ms: idle ? null : 10 + 3 * wave,
    });
  }
  return { kind, namespace, name, step: '10s', points };
}

/** NDJSON lines of a tap on reviews: a heartbeat and three requests. */
export function tapFixture(now = Date.now()): string {
  const ev = (i: number, status: number, path: string): object => ({
    time: new Date(now + i * 10).toISOString(),
    proxy: `sidecar~127.0.0.1~reviews-v1.default~default.svc.cluster.local`,
    reporter: 'destination',
    source: { workload: 'productpage-v1', namespace: 'default', principal: principal('productpage') },
    destination: { service: 'reviews.default.svc.cluster.local', workload: 'reviews-v1', namespace: 'default', principal: principal('reviews') },
    method: 'GET',
    authority: 'reviews:9080',
    path,
    status,
    durationMs: 3.2 + i,
    responseFlags: '-',
    mtls: true,
  });
  return [{}, ev(0, 200, '/reviews/1'), ev(1, 500, '/fail'), ev(2, 200, '/reviews/2')].map((o) => JSON.stringify(o)).join('\n') + '\n';
}
