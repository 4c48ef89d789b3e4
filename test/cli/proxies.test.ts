// Tests for `trellis proxy-status` and `trellis proxy-config`: istioctl columns, sync states, NACK reasons, summaries of Envoy JSON, raw -o json.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeControlPlane, XDS } from './fake-server.js';
import { run } from './harness.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
});
after(() => cp.stop());

const cols = (line: string | undefined): string[] => (line ?? '').split(/\s{2,}/);

test('proxy-status: NAME NAMESPACE CDS LDS EDS RDS with SYNCED / NACKED / STALE / NOT SENT, NACK reason on stderr', async () => {
  const r = await run(['proxy-status', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().path, '/api/v1/proxies');
  const lines = r.stdout.trimEnd().split('\n');
  assert.deepEqual(cols(lines[0]), ['NAME', 'NAMESPACE', 'CDS', 'LDS', 'EDS', 'RDS']);
  assert.deepEqual(cols(lines[1]), ['productpage-v1.default', 'default', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED']);
  assert.deepEqual(cols(lines[2]), ['reviews-v1.default', 'default', 'SYNCED', 'NACKED', 'STALE', 'NOT SENT']);
  assert.match(r.stderr, /^reviews-v1\.default: LDS rejected: listener outbound: unknown filter$/m);
  const j = JSON.parse((await run(['proxy-status', '-o', 'json', '--server', cp.url])).stdout) as { id: string }[];
  assert.equal(j.length, 2);
  const wide = await run(['ps', '-o', 'wide', '--server', cp.url]);
  assert.match(wide.stdout, /TYPE\s+ADDRESS\s+CONNECTED\s+ACKED VERSIONS/);
  assert.match(wide.stdout, /10\.0\.0\.5\s+90s\s+CDS=7 LDS=6 EDS=7 RDS=-/);
});

test('proxy-config clusters parses Istio cluster names into istioctl columns', async () => {
  const r = await run(['proxy-config', 'clusters', 'reviews-v1.default', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().path, '/api/v1/proxies/reviews-v1.default/config/clusters');
  const lines = r.stdout.trimEnd().split('\n');
  assert.deepEqual(cols(lines[0]), ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE']);
  assert.ok(lines.some((l) => cols(l).join('|') === 'reviews.default.svc.cluster.local|9080|v1|outbound|EDS|reviews.default'), r.stdout);
  assert.ok(lines.some((l) => cols(l).join('|') === 'api.example.com|443|-|outbound|STRICT_DNS|-'));
  assert.ok(lines.some((l) => cols(l).join('|') === '-|9080|-|inbound|STATIC|-'));
});

test('proxy-config listeners, routes and endpoints summaries', async () => {
  const l = await run(['proxy-config', 'listeners', 'reviews-v1.default', '--server', cp.url]);
  assert.deepEqual(l.stdout.trimEnd().split('\n').map(cols), [
    ['ADDRESS', 'PORT', 'MATCH', 'DESTINATION'],
    ['127.0.0.1', '15001', 'ALL', 'Route: outbound'],
    ['0.0.0.0', '15006', 'Port: 9080', 'Cluster: inbound|9080||'],
  ]);
  const r = await run(['pc', 'routes', 'reviews-v1.default', '--server', cp.url]);
  assert.deepEqual(r.stdout.trimEnd().split('\n').map(cols), [
    ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'],
    ['outbound', 'reviews.default.svc.cluster.local:9080', 'reviews + 3 more...', '/* [end-user]', 'reviews.default'],
    ['outbound', 'reviews.default.svc.cluster.local:9080', 'reviews + 3 more...', '/*', '-'],
  ]);
  const e = await run(['proxy-config', 'endpoints', 'reviews-v1.default', '--server', cp.url]);
  assert.deepEqual(e.stdout.trimEnd().split('\n').map(cols), [
    ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'],
    ['10.0.0.5:15006', 'HEALTHY', 'OK', 'outbound|9080|v1|reviews.default.svc.cluster.local'],
  ]);
});

test('proxy-config -o json prints the raw resources; a unique id prefix resolves; unknown types and proxies fail', async () => {
  const j = await run(['proxy-config', 'clusters', 'reviews-v1.default', '-o', 'json', '--server', cp.url]);
  assert.deepEqual(JSON.parse(j.stdout), XDS.clusters);
  const short = await run(['proxy-config', 'cluster', 'reviews', '--server', cp.url]);
  assert.equal(short.code, 0, short.stderr);
  assert.equal(cp.last().path, '/api/v1/proxies/reviews-v1.default/config/clusters');
  const all = await run(['proxy-config', 'all', 'reviews-v1.default', '-o', 'json', '--server', cp.url]);
  assert.equal(cp.last().path, '/api/v1/proxies/reviews-v1.default/config/all');
  assert.deepEqual(Object.keys(JSON.parse(all.stdout) as object).sort(), ['clusters', 'endpoints', 'listeners', 'routes']);
  const bad = await run(['proxy-config', 'secrets', 'x', '--server', cp.url]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown config type "secrets"/);
  const missing = await run(['proxy-config', 'clusters', 'ghost', '--server', cp.url]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no connected proxy "ghost"/);
});
