// Translate tests: PeerAuthentication — the mode a workload port gets (workload > namespace > mesh, UNSET inherits,
// portLevelMtls by the app's port), the sidecar inbound listener it builds (STRICT, PERMISSIVE, DISABLE), and the
// tlsMode the registry gives endpoints (registered sidecars; WorkloadEntries labelled security.istio.io/tlsMode).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode, serviceInfo } from '../../../src/control/model/builders.js';
import { buildSnapshot } from '../../../src/control/model/snapshot.js';
import type { MeshResource, PeerAuthentication } from '../../../src/api/types.js';
import { parseResources } from '../../../src/api/parse.js';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { LISTENER_TYPE, type Json } from '../../../src/control/translate/generator.js';
import { workloadMtlsMode } from '../../../src/control/translate/peer-authn.js';
import { buildMeshSnapshot } from '../../../src/control/snapshot/build.js';
import type { RegisteredWorkload } from '../../../src/control/registry/types.js';
import { decodeResource, encodeResource } from '../../../src/xds/codec.js';
import { validateListener } from '../../../src/proxy/config/validators.js';
import { assertProxyAccepts, byName, get } from './helpers.js';
import '../../all-filters.js';

function load(text: string): MeshResource[] {
  const r = parseResources(text);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value;
}

const pas = (text: string): PeerAuthentication[] => load(text).filter((r): r is PeerAuthentication => r.kind === 'PeerAuthentication');
const snapOf = (text: string) =>
  buildSnapshot({ version: '1', services: [serviceInfo('httpbin', 'foo', [{ port: 8000, name: 'http' }]), serviceInfo('db', 'foo', [{ port: 5432, name: 'tcp' }])], peerAuthentications: pas(text) });

const pa = (ns: string, name: string, body: string): string => `---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${ns}}
spec:
${body}`;

const APP = { app: 'httpbin' };

describe('workloadMtlsMode', () => {
  it('no policy is PERMISSIVE; mesh-wide (root namespace, no selector) < namespace-wide < workload', () => {
    assert.equal(workloadMtlsMode('foo', APP, 8080, snapOf('')), 'PERMISSIVE');
    const mesh = pa('istio-system', 'default', '  mtls: {mode: STRICT}');
    assert.equal(workloadMtlsMode('foo', APP, 8080, snapOf(mesh)), 'STRICT');
    const ns = mesh + '\n' + pa('foo', 'default', '  mtls: {mode: PERMISSIVE}');
    assert.equal(workloadMtlsMode('foo', APP, 8080, snapOf(ns)), 'PERMISSIVE');
    assert.equal(workloadMtlsMode('bar', APP, 8080, snapOf(ns)), 'STRICT', 'other namespaces keep the mesh policy');
    const wl = ns + '\n' + pa('foo', 'httpbin', '  selector: {matchLabels: {app: httpbin}}\n  mtls: {mode: DISABLE}');
    assert.equal(workloadMtlsMode('foo', APP, 8080, snapOf(wl)), 'DISABLE');
    assert.equal(workloadMtlsMode('foo', { app: 'other' }, 8080, snapOf(wl)), 'PERMISSIVE');
  });

  it('a selector in the root namespace selects workloads there only; UNSET inherits at every level', () => {
    const rootSel = pa('istio-system', 'gw', '  selector: {matchLabels: {app: httpbin}}\n  mtls: {mode: STRICT}');
    assert.equal(workloadMtlsMode('foo', APP, 8080, snapOf(rootSel)), 'PERMISSIVE');
    assert.equal(workloadMtlsMode('istio-system', APP, 8080, snapOf(rootSel)), 'STRICT');
    const unset = pa('istio-system', 'default', '  mtls: {mode: STRICT}') + '\n' + pa('foo', 'default', '  mtls: {mode: UNSET}') + '\n' + pa('foo', 'w', '  selector: {matchLabels: {app: httpbin}}\n  mtls: {}');
    assert.equal(workloadMtlsMode('foo', APP, 8080, snapOf(unset)), 'STRICT');
  });

  it("portLevelMtls applies to the workload's port; UNSET there inherits the workload's mode", () => {
    const text = pa('foo', 'httpbin', '  selector: {matchLabels: {app: httpbin}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n    9090: {mode: UNSET}');
    assert.equal(workloadMtlsMode('foo', APP, 8080, snapOf(text)), 'DISABLE');
    assert.equal(workloadMtlsMode('foo', APP, 9090, snapOf(text)), 'STRICT');
    assert.equal(workloadMtlsMode('foo', APP, 8000, snapOf(text)), 'STRICT');
  });
});

/** The sidecar of httpbin in foo: service port 8000, app (workload) port 8080. */
const httpbin = proxyNode({ namespace: 'foo', labels: APP, serviceName: 'httpbin', servicePort: 8000, appPort: 8080 });

function inbound(text: string, proxy = httpbin): Json {
  const out = ldsGenerator.build(proxy, snapOf(text));
  assertProxyAccepts(LISTENER_TYPE, out);
  return byName(out, 'inbound').resource;
}

describe('sidecar inbound listener by mode', () => {
  it('PERMISSIVE (no policy): tls_inspector, an mTLS chain for TLS and a plaintext chain, same HCM', () => {
    const l = inbound('');
    assert.deepEqual((l.listener_filters as Json[]).map((f) => f.name), ['envoy.filters.listener.tls_inspector']);
    assert.equal(l.continue_on_listener_filters_timeout, true);
    const chains = l.filter_chains as Json[];
    assert.deepEqual(chains.map((c) => get(c, 'filter_chain_match', 'transport_protocol')), ['tls', 'raw_buffer']);
    const tls = get(chains[0], 'transport_socket', 'typed_config') as Json;
    assert.equal(tls.require_client_certificate, true);
    assert.equal(get(tls, 'common_tls_context', 'tls_certificate_sds_secret_configs', 0, 'name'), 'default');
    assert.equal(get(tls, 'common_tls_context', 'validation_context_sds_secret_config', 'name'), 'ROOTCA');
    assert.deepEqual(get(tls, 'common_tls_context', 'alpn_protocols'), ['h2', 'http/1.1'], 'gRPC clients get h2');
    assert.equal(get(chains[1], 'transport_socket'), undefined);
    assert.deepEqual(get(chains[0], 'filters'), get(chains[1], 'filters'));
    assert.equal(get(chains[1], 'filters', 0, 'typed_config', 'route_config', 'virtual_hosts', 0, 'routes', 0, 'route', 'cluster'), 'inbound|8000||');
    // as Istio's sidecar inbound: the app sees who called (x-forwarded-client-cert)
    assert.equal(get(chains[0], 'filters', 0, 'typed_config', 'forward_client_cert_details'), 'APPEND_FORWARD');
    assert.deepEqual(get(chains[0], 'filters', 0, 'typed_config', 'set_current_client_cert_details'), { subject: true, dns: true, uri: true });
  });

  it('STRICT: one chain, mTLS only, no inspector (a plaintext client fails the handshake)', () => {
    const l = inbound(pa('foo', 'default', '  mtls: {mode: STRICT}'));
    assert.equal(l.listener_filters, undefined);
    const chains = l.filter_chains as Json[];
    assert.equal(chains.length, 1);
    assert.equal(get(chains[0], 'filter_chain_match'), undefined);
    assert.equal(get(chains[0], 'transport_socket', 'typed_config', 'require_client_certificate'), true);
  });

  it('DISABLE: plaintext only, as before PeerAuthentication existed', () => {
    const l = inbound(pa('istio-system', 'default', '  mtls: {mode: DISABLE}'));
    assert.equal(l.listener_filters, undefined);
    assert.deepEqual((l.filter_chains as Json[]).map((c) => c.transport_socket ?? null), [null]);
  });

  it('portLevelMtls is keyed by the app (workload) port, not the service port', () => {
    const byApp = inbound(pa('foo', 'httpbin', '  selector: {matchLabels: {app: httpbin}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: DISABLE}'));
    assert.equal((byApp.filter_chains as Json[])[0]!.transport_socket, undefined);
    const bySvc = inbound(pa('foo', 'httpbin', '  selector: {matchLabels: {app: httpbin}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    8000: {mode: DISABLE}'));
    assert.notEqual((bySvc.filter_chains as Json[])[0]!.transport_socket, undefined);
  });

  it('a TCP service gets the same chains around its tcp_proxy; the listener survives the wire and the proxy takes it', () => {
    const l = inbound(pa('foo', 'default', '  mtls: {mode: PERMISSIVE}'), proxyNode({ namespace: 'foo', serviceName: 'db', servicePort: 5432, appPort: 5433 }));
    assert.deepEqual((l.filter_chains as Json[]).map((c) => get(c, 'filters', -1, 'name')), ['envoy.filters.network.tcp_proxy', 'envoy.filters.network.tcp_proxy']);
    assert.deepEqual(get(l, 'filter_chains', 0, 'transport_socket', 'typed_config', 'common_tls_context', 'alpn_protocols'), ['istio-peer-exchange', 'istio'], "TCP offers Istio's peer exchange");
    assert.deepEqual((l.filter_chains as Json[]).map((c) => (c.filters as Json[]).map((f) => f.name)), [
      ['istio.metadata_exchange', 'istio.stats', 'envoy.filters.network.tcp_proxy'],
      ['istio.stats', 'envoy.filters.network.tcp_proxy'],
    ], 'the mTLS chain reads the exchange frame; both report TCP metrics');
    const back = decodeResource(encodeResource(LISTENER_TYPE, l)).json;
    const r = validateListener(JSON.parse(JSON.stringify(back)), 'inbound');
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
    assert.equal(r.value.filter_chains[0]!.transport_socket?.typed_config.require_client_certificate, true);
  });
});

describe('endpoint tlsMode from the registry', () => {
  const wl = (name: string, ip: string, extra: Partial<RegisteredWorkload> = {}): RegisteredWorkload => ({
    key: `registry/workloads/foo/${name}`, name, namespace: 'foo', labels: APP, serviceAccount: 'httpbin', address: ip, port: 15006, proxyType: 'sidecar', weight: 1, ...extra,
  });
  const rs = load(`apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-sidecar, namespace: foo}
spec: {address: 10.0.9.1, labels: {app: httpbin, security.istio.io/tlsMode: istio}, serviceAccount: vm}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-plain, namespace: foo}
spec: {address: 10.0.9.2, labels: {app: httpbin}}`);

  it('registered sidecars (with their app port) and labelled WorkloadEntries have a sidecar; proxyless servers, opted-out sidecars and plain entries do not', () => {
    const s = buildMeshSnapshot({
      resources: rs,
      workloads: [wl('a', '10.0.0.1', { appPort: 8080 }), wl('b', '10.0.0.2', { proxyType: 'proxyless' }), wl('c', '10.0.0.3', { labels: { ...APP, 'security.istio.io/tlsMode': 'disabled' } })],
      version: '1',
    });
    const got = (s.index.instancesByService.get('httpbin.foo.svc.cluster.local') ?? []).map((i) => [i.address, i.tlsMode ?? '-', i.namespace, i.serviceAccount ?? '-', i.workloadPort ?? '-']);
    assert.deepEqual(got, [
      ['10.0.0.1', 'istio', 'foo', 'httpbin', 8080],
      ['10.0.0.2', '-', 'foo', 'httpbin', '-'],
      ['10.0.0.3', '-', 'foo', 'httpbin', '-'],
      ['10.0.9.1', 'istio', 'foo', 'vm', '-'],
      ['10.0.9.2', '-', 'foo', '-', '-'],
    ]);
  });
});
