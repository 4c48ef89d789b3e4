// Unit: demo/mesh-yaml and demo/command's ports — the demo's mesh is valid Istio config on the ports asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { admitDocuments } from '../../src/api/admission.js';
import { DEMO_WORKLOADS, demoMeshYaml } from '../../src/demo/mesh-yaml.js';
import { demoPorts, processPorts } from '../../src/demo/command.js';

test('the demo mesh is admitted whole: identities, services, workloads, subsets, gateway, mTLS STRICT', () => {
  const { result, skipped } = admitDocuments(demoMeshYaml(18080));
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(skipped, []);
  const names = result.value.map((r) => `${r.kind}/${r.metadata.namespace ?? 'default'}/${r.metadata.name}`);
  for (const w of DEMO_WORKLOADS) assert.ok(names.includes(`Deployment/default/${w.name}`), w.name);
  assert.ok(names.includes('PeerAuthentication/istio-system/default'));
  const gw = result.value.find((r) => r.kind === 'Gateway')!;
  assert.equal((gw.spec as { servers: { port: { number: number } }[] }).servers[0]!.port.number, 18080);
  const ratings = result.value.find((r) => r.kind === 'Service' && r.metadata.name === 'ratings')!;
  assert.equal((ratings.spec as { ports: { name: string }[] }).ports[0]!.name, 'grpc', 'the gRPC hop is declared as gRPC');
});

test('--port-base moves every fixed port; without it Istio\'s 15012 and 15014 and the gateway\'s 8080', () => {
  assert.deepEqual(demoPorts(undefined), { xdsTls: 15012, http: 15014, gateway: 8080, processes: 15100 });
  assert.deepEqual(demoPorts(25000), { xdsTls: 25012, http: 25014, gateway: 25080, processes: 25100 });
  assert.deepEqual(processPorts(demoPorts(25000), 6), { outbound: 25160, inbound: 25161, admin: 25162, prometheus: 25163, app: 25164 });
});

test('every sample the banner suggests is admitted', () => {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../samples/bookinfo');
  for (const f of fs.readdirSync(dir)) {
    const { result } = admitDocuments(fs.readFileSync(path.join(dir, f), 'utf8'), f);
    assert.ok(result.ok, `${f}: ${JSON.stringify(!result.ok && result.errors)}`);
  }
});
