// Tests that the pools give each host the transport socket its endpoint metadata selects (TLS to one host, plaintext
// to another in the same cluster), and that a host whose metadata changes is connected to again with its new socket.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { LbEndpoint, UpstreamTlsContext } from '../../../../src/proxy/config/types.js';
import { ClusterManagerImpl } from '../../../../src/proxy/upstream/cluster-manager.js';
import { PoolManager } from '../../../../src/proxy/upstream/pool/pool-manager.js';
import { asyncHttpCall } from '../../../../src/proxy/upstream/async-client.js';
import { upstreamTlsConnectOptions } from '../../../../src/proxy/tls/tls-options.js';
import { clusterConfig, lbEndpoint, locality } from '../fixtures.js';
import { FakeStats } from '../fake-stats.js';
import { makeTestPki, type TestPki } from '../../../fixtures/certs.js';

const UP = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext' as const;
const common = (ca: string): UpstreamTlsContext['common_tls_context'] => ({
  tls_certificates: [],
  alpn_protocols: [],
  tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
  tls_certificate_sds_secret_configs: [],
  validation_context: { trusted_ca: ca, match_typed_subject_alt_names: [], verify_certificate_spki: [], verify_certificate_hash: [] },
});
const ISTIO = { filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } };

describe('pools by transport socket', () => {
  let dir: string;
  let pki: TestPki;
  let tlsServer: https.Server;
  let plainServer: http.Server;
  const seen: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'socket-pools-'));
    pki = makeTestPki(dir);
    tlsServer = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (_req, res) => {
      seen.push('tls');
      res.end('tls');
    });
    plainServer = http.createServer((_req, res) => {
      seen.push('plain');
      res.end('plain');
    });
    await Promise.all([tlsServer, plainServer].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  after(async () => {
    for (const s of [tlsServer, plainServer]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('TLS to the host whose metadata matches, plaintext to the other; a metadata change moves the host to its new socket', async () => {
    const tlsPort = (tlsServer.address() as AddressInfo).port;
    const plainPort = (plainServer.address() as AddressInfo).port;
    const cm = new ClusterManagerImpl({ stats: new FakeStats() });
    const pools = new PoolManager((ts) => upstreamTlsConnectOptions(ts.typed_config));
    const eps = (tlsMeta: boolean, plainMeta: boolean): LbEndpoint[] => [
      lbEndpoint('127.0.0.1', tlsPort, tlsMeta ? { metadata: ISTIO } : {}),
      lbEndpoint('127.0.0.1', plainPort, plainMeta ? { metadata: ISTIO } : {}),
    ];
    const config = clusterConfig('svc', {
      transport_socket_matches: [
        { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UP, common_tls_context: common(pki.caCert), allow_renegotiation: false } } },
        { name: 'tlsMode-disabled', match: {} },
      ],
    }, [locality('a', eps(true, false))]);
    const call = (): Promise<string> =>
      new Promise((resolve) => asyncHttpCall(cm, pools, 'svc', { method: 'GET', path: '/', headers: {} }, { timeoutMs: 2000 }, (err, r) => resolve(err !== null ? `error:${err}` : (r?.body.toString() ?? ''))));
    try {
      cm.update([config]);
      const cluster = cm.get('svc')!;
      const [tlsHost, plainHost] = [...cluster.prioritySet()[0]!.hosts].sort((a, b) => (a.port === tlsPort ? -1 : b.port === tlsPort ? 1 : 0));
      assert.notEqual(pools.upstreamTls(cluster, tlsHost!), undefined);
      assert.equal(pools.upstreamTls(cluster, plainHost!), undefined);
      const bodies = [await call(), await call(), await call(), await call()].sort();
      assert.deepEqual(bodies, ['plain', 'plain', 'tls', 'tls']);
      // now the plaintext server's endpoint claims a sidecar and the TLS one does not: both requests fail the protocol
      cluster.setLoadAssignment({ cluster_name: 'svc', endpoints: [locality('a', eps(false, true))], policy: { overprovisioning_factor: 140, drop_overloads: [] } });
      assert.equal(pools.upstreamTls(cluster, tlsHost!), undefined);
      assert.notEqual(pools.upstreamTls(cluster, plainHost!), undefined);
      const after = [await call(), await call()];
      assert.ok(after.every((b) => b.startsWith('error:')), after.join(','));
    } finally {
      pools.close();
      cm.close();
    }
  });
});
