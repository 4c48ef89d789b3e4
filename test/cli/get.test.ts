// Tests for `trellis get`: kubectl kind aliases, namespace flags, tables per kind, -o yaml/json that apply reads back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { loadResources } from '../../src/api/load.js';
import { FakeControlPlane } from './fake-server.js';
import { REVIEWS_DR, REVIEWS_VS, SERVICES } from './fixtures.js';
import { run } from './harness.js';
import { tempPki } from '../fixtures/secrets.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
  cp.seed([SERVICES, REVIEWS_VS, REVIEWS_DR, 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ingress, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]\n'].join('---\n'));
});
after(() => cp.stop());

const ALIASES: [string, string][] = [
  ['vs', 'VirtualService'], ['virtualservice', 'VirtualService'], ['virtualservices', 'VirtualService'], ['VirtualService', 'VirtualService'],
  ['virtualservices.networking.istio.io', 'VirtualService'], ['dr', 'DestinationRule'], ['destinationrules', 'DestinationRule'],
  ['gw', 'Gateway'], ['gateways', 'Gateway'], ['se', 'ServiceEntry'], ['serviceentries', 'ServiceEntry'], ['we', 'WorkloadEntry'],
  ['workloadentries', 'WorkloadEntry'], ['svc', 'Service'], ['services', 'Service'], ['sidecar', 'Sidecar'], ['sidecars', 'Sidecar'],
  ['secret', 'Secret'], ['secrets', 'Secret'], ['Secret', 'Secret'],
  ['sa', 'ServiceAccount'], ['serviceaccounts', 'ServiceAccount'], ['ns', 'Namespace'], ['namespaces', 'Namespace'],
  ['deploy', 'Deployment'], ['deployments.apps', 'Deployment'], ['sts', 'StatefulSet'], ['po', 'Pod'], ['pods', 'Pod'],
];

test('get accepts kubectl singular, plural, short and qualified kind names', async () => {
  for (const [alias, kind] of ALIASES) {
    const r = await run(['get', alias, '-o', 'json', '--server', cp.url]);
    assert.equal(r.code, 0, `${alias}: ${r.stderr}`);
    assert.deepEqual(cp.last().query, { kind, namespace: 'default' }, alias);
    assert.equal(cp.last().path, '/api/v1/resources');
  }
  const bad = await run(['get', 'configmaps', '--server', cp.url]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown resource type "configmaps"/);
});

test('get vs prints NAME GATEWAYS HOSTS AGE like kubectl', async () => {
  const r = await run(['get', 'vs', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  const [header, row] = r.stdout.trimEnd().split('\n');
  assert.deepEqual(header?.split(/\s{2,}/), ['NAME', 'GATEWAYS', 'HOSTS', 'AGE']);
  assert.deepEqual(row?.split(/\s{2,}/), ['reviews', 'mesh', 'reviews', '5m']);
});

test('get with -A adds NAMESPACE and sends no namespace; -n selects one', async () => {
  const all = await run(['get', 'gw', '-A', '--server', cp.url]);
  assert.equal(cp.last().query.namespace, undefined);
  assert.match(all.stdout, /^NAMESPACE\s+NAME\s+AGE$/m);
  assert.match(all.stdout, /^istio-system\s+ingress\s+5m$/m);
  await run(['get', 'gw', '-n', 'istio-system', '--server', cp.url]);
  assert.equal(cp.last().query.namespace, 'istio-system');
  const none = await run(['get', 'gw', '--server', cp.url]);
  assert.equal(none.code, 0);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /No resources found in default namespace/);
});

test('get KIND NAME -o yaml prints the resource as written (original apiVersion) and it applies back', async () => {
  const r = await run(['get', 'virtualservice', 'reviews', '-o', 'yaml', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().path, '/api/v1/resources/VirtualService/default/reviews');
  const doc = parse(r.stdout) as { apiVersion: string; kind: string; metadata: { name: string; annotations?: unknown }; spec: { hosts: string[] } };
  assert.equal(doc.apiVersion, 'networking.istio.io/v1beta1');
  assert.equal(doc.metadata.annotations, undefined);
  assert.deepEqual(doc.spec.hosts, ['reviews']);
  assert.ok(loadResources(r.stdout).ok);
});

test('get list -o yaml/json is a kubectl List; several kinds and KIND/NAME work', async () => {
  const y = await run(['get', 'svc', '-o', 'yaml', '--server', cp.url]);
  const list = parse(y.stdout) as { kind: string; items: { metadata: { name: string } }[] };
  assert.equal(list.kind, 'List');
  assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), ['ratings', 'reviews']);
  const j = JSON.parse((await run(['get', 'vs,dr', '-o', 'json', '--server', cp.url])).stdout) as { items: { kind: string }[] };
  assert.deepEqual(j.items.map((i) => i.kind), ['VirtualService', 'DestinationRule']);
  const t = await run(['get', 'vs,dr', '--server', cp.url]);
  assert.match(t.stdout, /^virtualservice\.networking\.istio\.io\/reviews\s/m);
  assert.match(t.stdout, /^NAME\s+HOST\s+AGE$/m);
  const one = await run(['get', 'dr/reviews', '-o', 'wide', '--server', cp.url]);
  assert.equal(cp.last().path, '/api/v1/resources/DestinationRule/default/reviews');
  assert.match(one.stdout, /^NAME\s+HOST\s+AGE\s+SUBSETS\nreviews\s+reviews\s+5m\s+v1$/m);
});

test('get svc shows TYPE and PORT(S); a missing name is a 404 on stderr with exit 1', async () => {
  const r = await run(['get', 'svc', '--server', cp.url]);
  assert.match(r.stdout, /^NAME\s+TYPE\s+PORT\(S\)\s+AGE$/m);
  assert.match(r.stdout, /^reviews\s+ClusterIP\s+9080\/TCP\s+5m$/m);
  const missing = await run(['get', 'vs', 'nope', '--server', cp.url]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /HTTP 404/);
  assert.match(missing.stderr, /VirtualService default\/nope not found/);
});

test('get secrets prints NAME TYPE DATA AGE like kubectl; --show-secrets asks for values (with the token), without it nothing asks', async () => {
  const pki = tempPki();
  cp.seed(`apiVersion: v1\nkind: Secret\nmetadata: {name: web-cacert, namespace: istio-system}\ntype: Opaque\ndata: {ca.crt: ${Buffer.from(pki.caCert).toString('base64')}}\n`);
  pki.cleanup();
  const table = await run(['get', 'secrets', '-n', 'istio-system', '--server', cp.url]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAME\s+TYPE\s+DATA\s+AGE$/m);
  assert.match(table.stdout, /^web-cacert\s+Opaque\s+1\s+/m);
  assert.equal(cp.last().query.showSecrets, undefined);
  await run(['get', 'secret', 'web-cacert', '-n', 'istio-system', '-o', 'yaml', '--server', cp.url]);
  assert.equal(cp.last().query.showSecrets, undefined);
  const shown = await run(['get', 'secret', 'web-cacert', '-n', 'istio-system', '-o', 'yaml', '--show-secrets', '--token', 'tok', '--server', cp.url]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(cp.last().path, '/api/v1/resources/Secret/istio-system/web-cacert');
  assert.equal(cp.last().query.showSecrets, 'true');
  assert.equal(cp.last().authorization, 'Bearer tok');
  assert.match(shown.stdout, /^apiVersion: v1\nkind: Secret\n/);
  await run(['get', 'secrets', '-A', '--show-secrets', '-o', 'json', '--server', cp.url]);
  assert.equal(cp.last().query.showSecrets, 'true');
});
