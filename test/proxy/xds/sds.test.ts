// Tests SDS over ADS: a listener's TLS context takes its certificate and client CA as Secrets; a rotated certificate is
// used by the next handshake while open connections keep going; a removed one makes new handshakes fail (never serve without it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../../src/xds/type-urls.js';
import { makeTestPki, type TestCert, type TestPki } from '../../fixtures/certs.js';
import { FakeAds } from './fake-ads.js';
import { cla, edsCluster, listener, routes, upstream, type Upstream } from './resources.js';

const DOWN_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UP_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const ADS = { ads: {}, resource_api_version: 'V3' };

async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function certSecret(name: string, c: { cert: string; key: string }): Json {
  return { '@type': SECRET_TYPE, name, tls_certificate: { certificate_chain: { inline_string: c.cert }, private_key: { inline_string: c.key } } };
}

/** The listener of resources.ts, with mTLS whose certificate and client CA come over SDS. */
function tlsListener(): Json {
  const l = listener('https', 0, 'main') as { filter_chains: Json[] };
  l.filter_chains[0]!.transport_socket = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWN_TLS,
      require_client_certificate: true,
      common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'server', sds_config: ADS }], validation_context_sds_secret_config: { name: 'ca', sds_config: ADS } },
    },
  };
  return l;
}

/** One mTLS connection: the server certificate's CN, and an open socket that can send requests. */
function connect(port: number, pki: TestPki): Promise<{ cn: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, servername: 'localhost', checkServerIdentity: () => undefined }, () =>
      resolve({ cn: String(socket.getPeerCertificate().subject.CN), socket }),
    );
    socket.once('error', reject);
  });
}

function request(socket: tls.TLSSocket, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const onData = (c: Buffer): void => {
      data += c.toString('latin1');
      const head = data.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(data);
      if (head >= 0 && len !== null && data.length >= head + 4 + Number(len[1])) done();
    };
    const done = (): void => {
      socket.off('data', onData);
      resolve(data);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: svc\r\n\r\n`);
    setTimeout(done, 2000);
  });
}

describe('SDS over ADS', () => {
  const ads = new FakeAds();
  let dir: string;
  let pki: TestPki;
  let second: TestCert;
  let up: Upstream;
  let proxy: Proxy;
  const port = (): number => proxy.listeners.addresses().find((l) => l.name === 'https')?.port ?? 0;
  let rotated = false;
  /** The listener's two secrets: its certificate (the second one once rotated) and the client CA. */
  const serving = (): Json[] => [
    certSecret('server', rotated ? second : { cert: pki.serverCert, key: pki.serverKey }),
    { '@type': SECRET_TYPE, name: 'ca', validation_context: { trusted_ca: { inline_string: pki.caCert } } },
  ];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-sds-'));
    pki = makeTestPki(dir);
    second = pki.issue('second', 'second', 'DNS:localhost');
    up = await upstream('a');
    await ads.listen();
    ads.set(CLUSTER_TYPE, [edsCluster('web')]);
    ads.set(ENDPOINT_TYPE, [cla('web', [up.port])]);
    ads.set(LISTENER_TYPE, [tlsListener()]);
    ads.set(ROUTE_TYPE, [routes('main', 'web')]);
    ads.set(SECRET_TYPE, serving());
    const r = parseBootstrap(
      {
        node: { id: 'sds-node', cluster: 'test' },
        dynamic_resources: {
          ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }] },
          cds_config: ADS,
          lds_config: ADS,
        },
        static_resources: {
          clusters: [{ name: 'xds', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'xds', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: ads.port } } } }] }] } }],
        },
      },
      { baseDir: dir },
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    proxy = new Proxy({ bootstrap: r.value });
    await proxy.start();
  });

  after(async () => {
    await proxy.stop(100);
    await ads.close();
    await up.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('subscribes to the secrets the TLS context names and serves mTLS with them', async () => {
    await until(() => port() > 0, 'the listener');
    await until(async () => (await connect(port(), pki).then((c) => (c.socket.destroy(), c.cn), () => '')) === 'server', 'a handshake with the SDS certificate');
    const subscribed = ads.requests.filter((q) => q.type_url === SECRET_TYPE).at(-1);
    assert.deepEqual([...(subscribed?.resource_names ?? [])].sort(), ['ca', 'server']);
    const c = await connect(port(), pki);
    assert.match(await request(c.socket), /^HTTP\/1\.1 200/);
    c.socket.destroy();
  });

  it('a rotated certificate is used by the next handshake; an open connection keeps serving', async () => {
    const open = await connect(port(), pki);
    assert.equal(open.cn, 'server');
    rotated = true;
    ads.set(SECRET_TYPE, serving());
    await until(async () => (await connect(port(), pki).then((c) => (c.socket.destroy(), c.cn), () => '')) === 'second', 'the rotated certificate');
    assert.match(await request(open.socket), /^HTTP\/1\.1 200/, 'the connection opened before the rotation still works');
    open.socket.destroy();
  });

  it('an upstream TLS context waits for its CA secret (handshakes fail, 503), then verifies the upstream with it', async () => {
    const secure = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (_req, res) => res.end('secure'));
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    try {
      const securePort = (secure.address() as AddressInfo).port;
      const cluster: Json = {
        '@type': CLUSTER_TYPE,
        name: 'secure',
        type: 'STATIC',
        connect_timeout: '1s',
        load_assignment: { cluster_name: 'secure', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: securePort } } } }] }] },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: { '@type': UP_TLS, sni: 'localhost', common_tls_context: { validation_context_sds_secret_config: { name: 'upstream-ca', sds_config: ADS } } },
        },
      };
      ads.set(CLUSTER_TYPE, [edsCluster('web'), cluster]);
      ads.set(ROUTE_TYPE, [
        { '@type': ROUTE_TYPE, name: 'main', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/secure' }, route: { cluster: 'secure' } }, { match: { prefix: '/' }, route: { cluster: 'web' } }] }] },
      ]);
      await until(() => ads.requests.some((q) => q.type_url === SECRET_TYPE && (q.resource_names ?? []).includes('upstream-ca')), 'the upstream secret subscription');
      const before = await connect(port(), pki);
      assert.match(await request(before.socket, '/secure'), /^HTTP\/1\.1 503/, 'no CA yet: the upstream handshake fails');
      before.socket.destroy();
      ads.set(SECRET_TYPE, [...serving(), { '@type': SECRET_TYPE, name: 'upstream-ca', validation_context: { trusted_ca: { inline_string: pki.caCert } } }]);
      await until(async () => {
        const c = await connect(port(), pki);
        const r = await request(c.socket, '/secure');
        c.socket.destroy();
        return /^HTTP\/1\.1 200[\s\S]*secure$/.test(r);
      }, 'the upstream verified with the SDS CA');
    } finally {
      secure.closeAllConnections();
      secure.close();
    }
  });

  it('a context whose secret has not arrived refuses every handshake (never serves without its certificate)', async () => {
    const pending = tlsListener() as { name: string; filter_chains: { transport_socket: { typed_config: Json } }[] };
    pending.name = 'pending';
    pending.filter_chains[0]!.transport_socket.typed_config = { '@type': DOWN_TLS, common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'not-there', sds_config: ADS }] } };
    ads.set(LISTENER_TYPE, [tlsListener(), pending as unknown as Json]);
    await until(() => proxy.listeners.addresses().some((l) => l.name === 'pending'), 'the second listener');
    await until(() => ads.requests.some((q) => q.type_url === SECRET_TYPE && (q.resource_names ?? []).includes('not-there')), 'the subscription');
    const p = proxy.listeners.addresses().find((l) => l.name === 'pending')!.port;
    assert.equal(await connect(p, pki).then(() => 'ok', () => 'refused'), 'refused');
    assert.equal((await connect(port(), pki).then((c) => (c.socket.destroy(), c.cn))), 'second', 'the other listener is unaffected');
  });
});
