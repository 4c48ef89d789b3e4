// Ingestion: the ADS generator's per-shape cache — proxies that differ only in a label a policy selector reads must not share
// an answer (two versions of one workload, an AuthorizationPolicy or RequestAuthentication selecting one of them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotGenerator } from '../../../src/control/snapshot/generator.js';
import { LISTENER_TYPE } from '../../../src/control/translate/generator.js';
import type { ConnectedProxy } from '../../../src/control/xds/types.js';
import { snapshotFromYaml } from '../translate/helpers.js';

function sidecar(n: number, version: string): ConnectedProxy {
  const id = `sidecar~10.0.0.${n}~reviews-${n}.default~default.svc.cluster.local`;
  const metadata = { NAMESPACE: 'default', LABELS: { app: 'reviews', version }, TRELLIS_SERVICE: 'reviews', TRELLIS_SERVICE_PORT: '9080', TRELLIS_APP_PORT: '19080' };
  return { connId: `${id}~1`, id, node: { id, metadata }, metadata, connectedAt: new Date(0), mode: 'sotw', peer: '127.0.0.1:1' } as unknown as ConnectedProxy;
}

test('a selector label of an AuthorizationPolicy or RequestAuthentication tells proxy shapes apart', () => {
  for (const kind of ['AuthorizationPolicy', 'RequestAuthentication']) {
    const spec = kind === 'AuthorizationPolicy' ? '{selector: {matchLabels: {version: v1}}}' : '{selector: {matchLabels: {version: v1}}, jwtRules: [{issuer: i, jwks: \'{"keys": []}\'}]}';
    const snap = snapshotFromYaml(`
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {ports: [{name: http, port: 9080}], selector: {app: reviews}}
---
apiVersion: security.istio.io/v1
kind: ${kind}
metadata: {name: only-v1, namespace: default}
spec: ${spec}
`);
    const gen = new SnapshotGenerator(() => snap);
    const v1 = JSON.stringify(gen.generate(sidecar(1, 'v1'), LISTENER_TYPE, []));
    const v2 = JSON.stringify(gen.generate(sidecar(2, 'v2'), LISTENER_TYPE, []));
    assert.notEqual(v1, v2, `${kind}: v2 must not get v1's listeners`);
    assert.ok(!v2.includes(kind === 'AuthorizationPolicy' ? 'envoy.filters.http.rbac' : 'envoy.filters.http.jwt_authn'), kind);
  }
});
