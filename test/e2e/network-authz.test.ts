// E2E: envoy.filters.network.rbac and envoy.filters.network.ext_authz before tcp_proxy in a real `trellis proxy` —
// allowed connections echo, denied ones are closed before their bytes reach the upstream; mTLS principals, passthrough
// SNI, delay_deny, a @grpc/grpc-js Authorization service (allow / deny / down open and closed), Envoy's stat names.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { includeDirs } from '../../src/xds/proto-files.js';
import { makeTestPki, type TestCert, type TestPki } from '../fixtures/certs.js';
import { H2_UPSTREAM, adminGet, deadPort, multiBootstrap, startProxy, staticCluster, type RunningProxy } from './harness.js';

const TCP_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';
const AUTHZ_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';
const TLS_CTX = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

interface CheckRequest {
  attributes: {
    source: { address: { socket_address: { address: string; port_value: number } } };
    destination: { address: { socket_address: { address: string; port_value: number } } };
    request?: unknown;
  };
}

let dir: string;
let pki: TestPki;
let stranger: TestCert;
let echo: net.Server;
let tlsEcho: tls.Server;
let authz: grpc.Server;
let proxy: RunningProxy;
const echoed: string[] = [];
const checks: CheckRequest[] = [];
const denyPorts = new Set<number>();

function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

function listener(name: string, filters: object[], extra: object = {}, chainExtra: object = {}): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [...filters, { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_TYPE, stat_prefix: name, cluster: 'echo' } }], ...chainExtra }],
    ...extra,
  };
}

function rbac(statPrefix: string, extra: object): object {
  return { name: 'envoy.filters.network.rbac', typed_config: { '@type': RBAC_TYPE, stat_prefix: statPrefix, ...extra } };
}

function extAuthz(statPrefix: string, cluster: string, extra: object = {}): object {
  return { name: 'envoy.filters.network.ext_authz', typed_config: { '@type': AUTHZ_TYPE, stat_prefix: statPrefix, grpc_service: { envoy_grpc: { cluster_name: cluster }, timeout: '2s' }, transport_api_version: 'V3', ...extra } };
}

const policy = (permissions: object[], principals: object[]): object => ({ action: 'ALLOW', policies: { p: { permissions, principals } } });

async function startAuthz(): Promise<number> {
  const def = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', { keepCase: true, includeDirs: includeDirs(), defaults: false, enums: String });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { envoy: { service: { auth: { v3: { Authorization: { service: grpc.ServiceDefinition } } } } } };
  authz = new grpc.Server();
  authz.addService(pkg.envoy.service.auth.v3.Authorization.service, {
    Check: (call: grpc.ServerUnaryCall<CheckRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      checks.push(call.request);
      const port = call.request.attributes.destination.address.socket_address.port_value;
      cb(null, { status: { code: denyPorts.has(port) ? 7 : 0 } });
    },
  });
  return new Promise((resolve, reject) => authz.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-netauthz-'));
  pki = makeTestPki(dir);
  stranger = pki.issue('stranger', 'stranger', 'URI:spiffe://cluster.local/ns/default/sa/stranger');
  echo = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (c: Buffer) => echoed.push(c.toString()));
    s.pipe(s);
  });
  const echoPort = await listen(echo);
  tlsEcho = tls.createServer({ cert: pki.serverCert, key: pki.serverKey }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const tlsEchoPort = await listen(tlsEcho);
  const authzPort = await startAuthz();
  const serverTls = {
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': TLS_CTX,
        require_client_certificate: true,
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { filename: pki.serverCertPath }, private_key: { filename: pki.serverKeyPath } }],
          validation_context: { trusted_ca: { filename: pki.caCertPath } },
        },
      },
    },
  };
  const loopback = [{ source_ip: { address_prefix: '127.0.0.0', prefix_len: 8 } }];
  const passthrough = {
    name: 'rbac_sni',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }],
    filter_chains: [
      {
        filters: [
          rbac('sni_rbac', { rules: policy([{ requested_server_name: { exact: 'ok.example' } }], [{ any: true }]) }),
          { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_TYPE, stat_prefix: 'sni', cluster: 'tls_echo' } },
        ],
      },
    ],
  };
  proxy = await startProxy(
    multiBootstrap(
      [
        listener('rbac_allow', [rbac('allow_rbac.', { rules: policy([{ any: true }], loopback), shadow_rules: { action: 'DENY', policies: { all: { permissions: [{ any: true }], principals: [{ any: true }] } } }, shadow_rules_stat_prefix: 'canary.' })]),
        listener('rbac_deny', [rbac('deny_rbac', { rules: policy([{ any: true }], [{ source_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } }]) })]),
        listener('rbac_delay', [rbac('delay_rbac', { rules: { action: 'DENY', policies: { all: { permissions: [{ any: true }], principals: [{ any: true }] } } }, delay_deny: '0.4s' })]),
        listener('rbac_mtls', [rbac('mtls_rbac', { rules: policy([{ any: true }], [{ authenticated: { principal_name: { exact: pki.clientSpiffeId } } }]) })], {}, serverTls),
        passthrough,
        listener('authz', [extAuthz('l4', 'authz')]),
        listener('authz_deny', [extAuthz('l4_deny', 'authz')]),
        listener('authz_down_closed', [extAuthz('down_closed', 'authz_dead')]),
        listener('authz_down_open', [extAuthz('down_open', 'authz_dead', { failure_mode_allow: true })]),
      ],
      [
        staticCluster('echo', [echoPort]),
        staticCluster('tls_echo', [tlsEchoPort]),
        staticCluster('authz', [authzPort], H2_UPSTREAM),
        staticCluster('authz_dead', [await deadPort()], H2_UPSTREAM),
      ],
    ),
  );
  denyPorts.add(proxy.listeners.get('authz_deny')!);
});

after(async () => {
  await proxy?.stop();
  authz?.forceShutdown();
  await new Promise((r) => echo?.close(r));
  await new Promise((r) => tlsEcho?.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const port = (name: string): number => proxy.listeners.get(name)!;

interface Exchange {
  got: string;
  /** ms from the write to the close */
  closedAfterMs: number;
}

/** Writes `msg` (on a plain or TLS socket) and collects the reply until it equals `msg` or the proxy closes. */
function exchange(connect: (onReady: () => void) => net.Socket, msg = 'ping'): Promise<Exchange> {
  return new Promise((resolve) => {
    let got = '';
    let sentAt = Date.now();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve({ got, closedAfterMs: Date.now() - sentAt });
      s.destroy();
    };
    const s = connect(() => {
      sentAt = Date.now();
      s.write(msg);
    });
    s.on('data', (c: Buffer) => {
      got += c.toString();
      if (got === msg) finish();
    });
    s.on('error', () => {});
    s.on('close', finish);
  });
}

const plain = (name: string) => (ready: () => void) => net.connect(port(name), '127.0.0.1', ready);

async function stats(): Promise<string> {
  return (await adminGet(proxy.adminPort, '/stats')).body;
}

test('network rbac: an allowed client echoes; shadow rules only count (prefixes as Envoy joins them)', async () => {
  assert.equal((await exchange(plain('rbac_allow'))).got, 'ping');
  const s = await stats();
  assert.match(s, /^allow_rbac\.rbac\.allowed: 1$/m);
  assert.match(s, /^allow_rbac\.rbac\.canary\.shadow_denied: 1$/m);
});

test('network rbac: a denied client is closed and its bytes never reach the upstream', async () => {
  echoed.length = 0;
  const r = await exchange(plain('rbac_deny'), 'must-not-arrive');
  assert.equal(r.got, '');
  assert.deepEqual(echoed, []);
  assert.match(await stats(), /^deny_rbac\.rbac\.denied: 1$/m);
});

test('network rbac: delay_deny keeps a denied connection open (reading nothing) for the delay, then closes it', async () => {
  const r = await exchange(plain('rbac_delay'));
  assert.equal(r.got, '');
  assert.ok(r.closedAfterMs >= 300, `closed after ${r.closedAfterMs} ms`);
});

test('network rbac: authenticated principal_name matches the mTLS client certificate URI SAN', async () => {
  const mtls = (cert: { cert: string; key: string }) => (ready: () => void) =>
    tls.connect({ port: port('rbac_mtls'), host: '127.0.0.1', ca: pki.caCert, cert: cert.cert, key: cert.key, servername: 'localhost' }, ready);
  assert.equal((await exchange(mtls({ cert: pki.clientCert, key: pki.clientKey }))).got, 'ping');
  assert.equal((await exchange(mtls(stranger))).got, '');
  const s = await stats();
  assert.match(s, /^mtls_rbac\.rbac\.allowed: 1$/m);
  assert.match(s, /^mtls_rbac\.rbac\.denied: 1$/m);
});

test('network rbac: requested_server_name sees the SNI tls_inspector read on a passthrough chain', async () => {
  const sni = (servername: string) => (ready: () => void) => tls.connect({ port: port('rbac_sni'), host: '127.0.0.1', servername, rejectUnauthorized: false }, ready);
  assert.equal((await exchange(sni('ok.example'))).got, 'ping', 'TLS passes through to the upstream TLS echo');
  assert.equal((await exchange(sni('other.example'))).got, '');
  assert.match(await stats(), /^sni_rbac\.rbac\.denied: 1$/m);
});

test('network ext_authz: the service allows one listener and denies the other; the check carries the peers and no request', async () => {
  checks.length = 0;
  assert.equal((await exchange(plain('authz'))).got, 'ping');
  echoed.length = 0;
  assert.equal((await exchange(plain('authz_deny'), 'must-not-arrive')).got, '');
  assert.deepEqual(echoed, []);
  assert.equal(checks.length, 2);
  const a = checks[0]!.attributes;
  assert.equal(a.destination.address.socket_address.port_value, port('authz'));
  assert.equal(a.source.address.socket_address.address, '127.0.0.1');
  assert.equal(a.request, undefined);
  const s = await stats();
  assert.match(s, /^ext_authz\.l4\.ok: 1$/m);
  assert.match(s, /^ext_authz\.l4\.total: 1$/m);
  assert.match(s, /^ext_authz\.l4_deny\.denied: 1$/m);
  assert.match(s, /^ext_authz\.l4_deny\.cx_closed: 1$/m);
  assert.match(s, /^ext_authz\.l4\.active: 0$/m);
});

test('network ext_authz: an unreachable service closes connections unless failure_mode_allow', async () => {
  assert.equal((await exchange(plain('authz_down_closed'))).got, '');
  assert.equal((await exchange(plain('authz_down_open'))).got, 'ping');
  const s = await stats();
  assert.match(s, /^ext_authz\.down_closed\.error: 1$/m);
  assert.match(s, /^ext_authz\.down_closed\.cx_closed: 1$/m);
  assert.match(s, /^ext_authz\.down_open\.failure_mode_allowed: 1$/m);
});
