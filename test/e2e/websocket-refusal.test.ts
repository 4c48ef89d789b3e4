// E2E: an upgrade the upstream refuses (any non-101) must not become a tunnel that bypasses routing.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { httpBootstrap, request, startProxy, staticCluster, waitFor, type RunningProxy } from './harness.js';

let proxy: RunningProxy;
let port: number;
let backend: net.Server;
const backendSockets = new Set<net.Socket>();
/** Request targets the backend has read, in order. */
const seen: string[] = [];

/**
 * A keep-alive backend without WebSocket support except on /echo: it answers every other request head
 * (upgrade or not) with 404 and goes on reading requests from the same connection. /echo gets a 101 and
 * every byte after its head is echoed back.
 */
function onBackendConnection(socket: net.Socket): void {
  backendSockets.add(socket);
  socket.on('close', () => backendSockets.delete(socket));
  socket.on('error', () => {});
  let buf = '';
  let echo = false;
  socket.on('data', (c: Buffer) => {
    if (echo) return void socket.write(c);
    buf += c.toString('latin1');
    for (let end = buf.indexOf('\r\n\r\n'); end >= 0 && !echo; end = buf.indexOf('\r\n\r\n')) {
      const [method, target = ''] = buf.slice(0, end).split(' ');
      buf = buf.slice(end + 4);
      seen.push(target);
      if (target === '/echo') {
        echo = true;
        socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n' + buf, 'latin1');
      } else {
        const body = target === '/internal' ? 'internal reached' : 'no websocket here';
        socket.write(`HTTP/1.1 ${target === '/internal' ? 200 : 404} X\r\ncontent-length: ${body.length}\r\n\r\n${method === 'HEAD' ? '' : body}`);
      }
    }
  });
}

before(async () => {
  backend = net.createServer(onBackendConnection);
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as net.AddressInfo).port;
  proxy = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('backend', [backendPort])],
      hcm: { upgrade_configs: [{ upgrade_type: 'websocket' }] },
      routeConfig: {
        name: 'r',
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              { match: { prefix: '/internal' }, direct_response: { status: 403, body: { inline_string: 'forbidden' } } },
              { match: { prefix: '/' }, route: { cluster: 'backend' } },
            ],
          },
        ],
      },
    }),
  );
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  for (const s of backendSockets) s.destroy();
  await new Promise<void>((r) => (backend === undefined ? r() : backend.close(() => r())));
});

const upgradeHead = (path: string, method = 'GET'): string =>
  `${method} ${path} HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
const INTERNAL = 'GET /internal HTTP/1.1\r\nHost: example.com\r\n\r\n';

/** A raw client socket that collects what it reads and whether the proxy closed it. */
function client(): Promise<{ socket: net.Socket; data: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    let closed = false;
    socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, data: () => got, closed: () => closed }));
    socket.once('error', reject);
  });
}

const reachedInternal = (): boolean => seen.includes('/internal');

test('upgrade answered 404: the client gets the 404, then the connection closes; a later /internal never reaches the backend', async () => {
  const c = await client();
  c.socket.write(upgradeHead('/refuse'));
  await waitFor(() => c.data().includes('no websocket here'), 3000, 'the 404 relayed');
  assert.match(c.data(), /^HTTP\/1\.1 404 /);
  if (!c.closed()) c.socket.write(INTERNAL);
  await waitFor(() => c.closed() || reachedInternal(), 3000, 'the proxy to close the connection');
  c.socket.destroy();
  assert.equal(reachedInternal(), false, 'GET /internal bypassed routing (direct_response 403) and reached the backend');
  assert.doesNotMatch(c.data(), /internal reached/);
  assert.equal(c.closed(), true);
});

test('upgrade answered 404 with /internal pipelined in the same write: the backend never sees it', async () => {
  const c = await client();
  c.socket.write(upgradeHead('/refuse-pipelined') + INTERNAL);
  await waitFor(() => c.closed() || reachedInternal(), 3000, 'the proxy to close the connection');
  c.socket.destroy();
  assert.equal(reachedInternal(), false, 'bytes after a refused upgrade were forwarded to the backend');
  assert.ok(seen.includes('/refuse-pipelined'));
  assert.match(c.data(), /^HTTP\/1\.1 404 /);
  assert.doesNotMatch(c.data(), /internal reached/);
  assert.equal(c.closed(), true);
});

test('a HEAD upgrade answered 404 (content-length, no body): relayed at once, then the connection closes', async () => {
  const c = await client();
  c.socket.write(upgradeHead('/refuse-head', 'HEAD'));
  await waitFor(() => c.closed(), 3000, 'the proxy to relay the 404 and close');
  assert.match(c.data(), /^HTTP\/1\.1 404 [^]*\r\ncontent-length: 17\r\n/i);
  assert.ok(c.data().endsWith('\r\n\r\n'), JSON.stringify(c.data()));
});

test('a HEAD upgrade the proxy refuses itself (not a WebSocket type): 403 without a body', async () => {
  const c = await client();
  c.socket.write('HEAD / HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: foo/2\r\n\r\n');
  await waitFor(() => c.closed(), 3000, 'the proxy to answer and close');
  assert.match(c.data(), /^HTTP\/1\.1 403 /);
  assert.ok(c.data().endsWith('\r\n\r\n'), `a body followed the head: ${JSON.stringify(c.data())}`);
});

test('upgrade answered 101: bytes the client sent with its request head follow the 101 into the tunnel', async () => {
  const c = await client();
  c.socket.write(upgradeHead('/echo') + 'early-frame');
  await waitFor(() => c.data().includes('early-frame'), 3000, 'the early bytes echoed back through the tunnel');
  assert.match(c.data(), /^HTTP\/1\.1 101 /);
  c.socket.write('later-frame');
  await waitFor(() => c.data().includes('later-frame'), 3000, 'a later frame echoed');
  c.socket.destroy();
  assert.equal((await request(port, { path: '/internal' })).status, 403);
});
