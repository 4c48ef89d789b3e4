// E2E: WebSocket upgrades pass the HTTP filter chain like any request (as in Envoy): an rbac DENY policy and
// a direct_response route answer the upgrade instead of a tunnel reaching the backend; allowed ones tunnel.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { hcmListener, multiBootstrap, startProxy, staticCluster, ROUTER_FILTER, type RunningProxy } from './harness.js';

const RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';

let backend: http.Server;
let backendPort = 0;
let upgradesSeen = 0;
let proxy: RunningProxy;
let port = 0;

before(async () => {
  backend = http.createServer((_req, res) => res.end('plain'));
  backend.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
    upgradesSeen++;
    socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
    socket.pipe(socket);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as net.AddressInfo).port;
  const listener = hcmListener('ws', {
    routeConfig: {
      virtual_hosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            { match: { prefix: '/internal' }, direct_response: { status: 403, body: { inline_string: 'internal' } } },
            { match: { prefix: '/' }, route: { cluster: 'b' } },
          ],
        },
      ],
    },
    hcm: { upgrade_configs: [{ upgrade_type: 'websocket' }] },
    httpFilters: [
      { name: 'envoy.filters.http.rbac', typed_config: { '@type': RBAC_TYPE, rules: { action: 'DENY', policies: { admin: { permissions: [{ url_path: { path: { prefix: '/admin' } } }], principals: [{ any: true }] } } } } },
      ROUTER_FILTER,
    ],
  });
  proxy = await startProxy(multiBootstrap([listener], [staticCluster('b', [backendPort])]));
  port = proxy.listeners.get('ws')!;
});

after(async () => {
  await proxy?.stop();
  backend?.closeAllConnections();
  await new Promise((r) => backend?.close(r));
});

function upgrade(path: string): Promise<{ status: number; body: string; socket?: net.Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: { host: 'example.com', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': randomBytes(16).toString('base64'), 'sec-websocket-version': '13' },
    });
    req.on('upgrade', (res, socket: net.Socket) => resolve({ status: res.statusCode ?? 0, body: '', socket }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('an rbac DENY policy answers a WebSocket upgrade with 403 and the backend never sees it', async () => {
  const before = upgradesSeen;
  const r = await upgrade('/admin/ws');
  assert.equal(r.status, 403);
  assert.equal(r.body, 'RBAC: access denied');
  assert.equal(upgradesSeen, before);
});

test('a direct_response route answers an upgrade request itself', async () => {
  const before = upgradesSeen;
  const r = await upgrade('/internal/ws');
  assert.equal(r.status, 403);
  assert.equal(r.body, 'internal');
  assert.equal(upgradesSeen, before);
});

test('an allowed upgrade tunnels after the upstream 101, bytes echoed', async () => {
  const r = await upgrade('/chat');
  assert.equal(r.status, 101);
  const s = r.socket!;
  s.write('ping');
  const got = await new Promise<string>((resolve) => s.once('data', (c: Buffer) => resolve(c.toString())));
  assert.equal(got, 'ping');
  s.destroy();
});
