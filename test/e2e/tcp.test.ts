// E2E: `trellis proxy -c` runs envoy.filters.network.tcp_proxy: byte round trips, weighted clusters, idle timeout, no-host close, TLS in front.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { makeTestPki, type TestPki } from '../fixtures/certs.js';
import { fileAccessLog, multiBootstrap, promValue, readLines, startProxy, staticCluster, waitFor, type RunningProxy } from './harness.js';

const TCP_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

interface Echo {
  port: number;
  name: string;
  /** connections accepted so far */
  accepted: number;
  close(): Promise<void>;
}

/** Echoes every byte back; a connection that starts with `who?` gets its name first. */
async function startEcho(name: string): Promise<Echo> {
  const sockets = new Set<net.Socket>();
  const e: Echo = { port: 0, name, accepted: 0, close: async () => {} };
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    e.accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  e.port = (server.address() as net.AddressInfo).port;
  e.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return e;
}

function tcpListener(name: string, tcp: object, extra: object = {}): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_TYPE, ...tcp } }], ...extra }],
  };
}

/** Connects, writes `data`, half-closes, and collects everything until the peer closes. */
function roundTrip(port: number, data: Buffer, connect: (cb: () => void) => net.Socket = (cb) => net.connect(port, '127.0.0.1', cb)): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(() => {
      s.end(data);
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    setTimeout(() => {
      s.destroy();
      reject(new Error(`round trip timed out after ${Buffer.concat(chunks).length} bytes`));
    }, 15000).unref();
  });
}

/** Opens a connection and resolves with how long until the proxy closed it (and what it received), or -1 if still open after `maxMs`. */
function timeToClose(port: number, opts: { write?: string; maxMs: number }): Promise<{ ms: number; data: string }> {
  return new Promise((resolve) => {
    const start = Date.now();
    let data = '';
    let done = false;
    const s = net.connect(port, '127.0.0.1', () => {
      if (opts.write !== undefined) s.write(opts.write);
    });
    const finish = (ms: number): void => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ ms, data });
    };
    s.on('data', (c: Buffer) => (data += c.toString()));
    s.on('close', () => finish(Date.now() - start));
    s.on('error', () => {});
    const t = setTimeout(() => finish(-1), opts.maxMs);
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let dir: string;
let pki: TestPki;
let echoes: Echo[] = [];
let proxy: RunningProxy;
let accessLogFile: string;
const TCP_LOG_FORMAT = '%UPSTREAM_CLUSTER% %UPSTREAM_HOST% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT%\n';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-tcp-e2e-'));
  pki = makeTestPki(dir);
  echoes = await Promise.all(['e1', 'e2', 'e3', 'e4'].map((n) => startEcho(n)));
  accessLogFile = path.join(dir, 'tcp-access.log');
  const accessLog = [fileAccessLog(accessLogFile, TCP_LOG_FORMAT)];
  const [e1, e2, e3, e4] = echoes;
  proxy = await startProxy(
    multiBootstrap(
      [
        tcpListener('echo', { stat_prefix: 'echo', cluster: 'echo', access_log: accessLog }),
        tcpListener('split', { stat_prefix: 'split', weighted_clusters: { clusters: [{ name: 'w1', weight: 1 }, { name: 'w3', weight: 3 }] } }),
        tcpListener('idle', { stat_prefix: 'idle', cluster: 'idle', idle_timeout: '0.4s' }),
        tcpListener('empty', { stat_prefix: 'empty', cluster: 'empty', access_log: accessLog }),
        tcpListener('unhealthy', { stat_prefix: 'unhealthy', cluster: 'unhealthy' }),
        tcpListener(
          'tls',
          { stat_prefix: 'tls_echo', cluster: 'echo' },
          {
            transport_socket: {
              name: 'envoy.transport_sockets.tls',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                common_tls_context: { tls_certificates: [{ certificate_chain: { filename: pki.serverCertPath }, private_key: { filename: pki.serverKeyPath } }] },
              },
            },
          },
        ),
      ],
      [
        staticCluster('echo', [e1.port]),
        staticCluster('w1', [e2.port]),
        staticCluster('w3', [e3.port]),
        staticCluster('idle', [e4.port]),
        { name: 'empty', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'empty', endpoints: [] } },
        {
          name: 'unhealthy',
          type: 'STATIC',
          connect_timeout: '1s',
          common_lb_config: { healthy_panic_threshold: { value: 0 } },
          load_assignment: {
            cluster_name: 'unhealthy',
            endpoints: [{ lb_endpoints: [{ health_status: 'UNHEALTHY', endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: e4.port } } } }] }],
          },
        },
      ],
    ),
  );
});

after(async () => {
  await proxy?.stop();
  await Promise.all(echoes.map((e) => e.close()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('tcp_proxy: bytes round trip through the proxy, small and large (16 MiB)', async () => {
  const port = proxy.listeners.get('echo')!;
  const small = await roundTrip(port, Buffer.from('hello, tcp\n'));
  assert.equal(small.toString(), 'hello, tcp\n');
  const big = randomBytes(16 * 1024 * 1024);
  const back = await roundTrip(port, big);
  assert.equal(back.length, big.length);
  assert.equal(sha(back), sha(big));
  // binary-safe, both directions concurrently on several connections
  const many = await Promise.all(Array.from({ length: 8 }, () => randomBytes(256 * 1024)).map(async (b) => ({ want: sha(b), got: sha(await roundTrip(port, b)) })));
  for (const m of many) assert.equal(m.got, m.want);
  const rx = await promValue(proxy.adminPort, 'envoy_tcp_downstream_cx_rx_bytes_total', { envoy_tcp_prefix: 'echo' });
  assert.ok((rx ?? 0) >= big.length, `rx bytes ${rx}`);
  const total = await promValue(proxy.adminPort, 'envoy_tcp_downstream_cx_total', { envoy_tcp_prefix: 'echo' });
  assert.ok((total ?? 0) >= 10, `tcp downstream_cx_total ${total}`);
});

test('weighted_clusters 1:3 split connections 1/4 : 3/4', async () => {
  const port = proxy.listeners.get('split')!;
  const [, e2, e3] = echoes;
  const before2 = e2.accepted;
  const before3 = e3.accepted;
  const n = 400;
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => roundTrip(port, Buffer.from(`c${i + j}`)).then((b) => assert.equal(b.toString(), `c${i + j}`))));
  }
  const c2 = e2.accepted - before2;
  const c3 = e3.accepted - before3;
  assert.equal(c2 + c3, n);
  // binomial sd at n=400, p=1/4 is ~2.2 points; allow ~3.5 sd
  assert.ok(Math.abs(c2 / n - 0.25) < 0.08, `w1=${c2} w3=${c3}`);
});

test('idle_timeout closes an idle connection (and activity keeps it open)', async () => {
  const port = proxy.listeners.get('idle')!;
  const idle = await timeToClose(port, { write: 'ping', maxMs: 5000 });
  assert.equal(idle.data, 'ping');
  assert.ok(idle.ms >= 350 && idle.ms < 3000, `closed after ${idle.ms} ms`);

  // a connection that talks every 150 ms outlives the 400 ms timeout
  const s = net.connect(port, '127.0.0.1');
  let got = '';
  let closedAt = 0;
  const start = Date.now();
  s.on('data', (c: Buffer) => (got += c.toString()));
  s.on('close', () => (closedAt = Date.now() - start));
  s.on('error', () => {});
  let lastWrite = 0;
  for (let i = 0; i < 6; i++) {
    s.write(`${i}`);
    lastWrite = Date.now();
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(closedAt, 0, 'an active connection must not be closed by idle_timeout');
  assert.equal(got, '012345');
  await new Promise<void>((r) => (closedAt !== 0 ? r() : s.once('close', () => r())));
  assert.ok(Date.now() - lastWrite >= 350, `then closed once idle (${Date.now() - lastWrite} ms after the last write)`);
  const timeouts = await promValue(proxy.adminPort, 'envoy_tcp_idle_timeout', { envoy_tcp_prefix: 'idle' });
  assert.ok((timeouts ?? 0) >= 2, `idle_timeout counter ${timeouts}`);
});

test('a cluster with no healthy host closes the downstream connection', async () => {
  for (const name of ['empty', 'unhealthy']) {
    const port = proxy.listeners.get(name)!;
    const r = await timeToClose(port, { write: 'anyone?', maxMs: 3000 });
    assert.ok(r.ms >= 0 && r.ms < 2000, `${name}: closed after ${r.ms} ms`);
    assert.equal(r.data, '', `${name}: nothing may come back`);
    const none = await promValue(proxy.adminPort, 'envoy_cluster_upstream_cx_none_healthy', { envoy_cluster_name: name });
    assert.ok((none ?? 0) >= 1, `${name}: upstream_cx_none_healthy ${none}`);
  }
  // the unhealthy host was never connected to
  const cx = await promValue(proxy.adminPort, 'envoy_cluster_upstream_cx_total', { envoy_cluster_name: 'unhealthy' });
  assert.ok((cx ?? 0) === 0, `upstream_cx_total ${cx}`);
});

test('TLS-terminating listener in front of tcp_proxy', async () => {
  const port = proxy.listeners.get('tls')!;
  const connect = (cb: () => void): net.Socket => tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCert }, cb);
  const small = await roundTrip(port, Buffer.from('secret bytes'), connect);
  assert.equal(small.toString(), 'secret bytes');
  const big = randomBytes(2 * 1024 * 1024);
  assert.equal(sha(await roundTrip(port, big, connect)), sha(big));
  // plaintext on the TLS port never reaches the echo server as bytes
  const plain = await timeToClose(port, { write: 'not tls at all\r\n\r\n', maxMs: 3000 });
  assert.ok(!plain.data.includes('not tls'), JSON.stringify(plain));
});

test('tcp_proxy access_log: one line per connection with cluster, host, flags and byte counts', async () => {
  const echoPort = proxy.listeners.get('echo')!;
  const payload = Buffer.from('x'.repeat(1000));
  assert.deepEqual(await roundTrip(echoPort, payload), payload);
  await timeToClose(proxy.listeners.get('empty')!, { write: 'hello', maxMs: 3000 });
  await waitFor(() => readLines(accessLogFile).some((l) => l.startsWith('empty ')) && readLines(accessLogFile).some((l) => l.includes(' 1000 1000')), 5000);
  const lines = readLines(accessLogFile);
  assert.ok(lines.some((l) => new RegExp(`^echo 127\\.0\\.0\\.1:${echoes[0].port} - 1000 1000$`).test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^empty - UH 0 0$/.test(l)), lines.join('\n'));
});
