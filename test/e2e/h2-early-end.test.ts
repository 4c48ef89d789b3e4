// E2E: an HTTP/2 stream that ends in the same read as its HEADERS (reset, bad DATA, window overflow, GOAWAY) must not crash the proxy.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { httpBootstrap, rawExchange, request, sleep, startProxy, startUpstream, staticCluster, waitFor, type RunningProxy, type Upstream } from './harness.js';
import { Flag, FrameType, clientStart, frame, requestBlock, u32 } from './h2-wire.js';

const IDLE_TIMEOUT_MS = 500;
let backend: Upstream;
let proxy: RunningProxy;
let port: number;

before(async () => {
  backend = await startUpstream('backend');
  proxy = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('backend', [backend.port])],
      routeConfig: { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] },
      hcm: { common_http_protocol_options: { idle_timeout: `${IDLE_TIMEOUT_MS / 1000}s` }, stream_idle_timeout: `${IDLE_TIMEOUT_MS / 1000}s` },
    }),
  );
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  await backend?.close();
});

const GET = requestBlock('GET', '/early', 'example.com');
const POST_EMPTY = requestBlock('POST', '/early', 'example.com', [['content-length', '0']]);
const PROTOCOL_ERROR = 1;
const INTERNAL_ERROR = 2;

/** Each sequence follows the preface and SETTINGS in ONE write, so nghttp2 sees it all in one read. */
const sequences: Record<string, Buffer[]> = {
  'HEADERS then RST_STREAM (PROTOCOL_ERROR)': [frame(FrameType.HEADERS, Flag.END_HEADERS, 1, GET), frame(FrameType.RST_STREAM, 0, 1, u32(PROTOCOL_ERROR))],
  'HEADERS (END_STREAM) then RST_STREAM (INTERNAL_ERROR)': [
    frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, GET),
    frame(FrameType.RST_STREAM, 0, 1, u32(INTERNAL_ERROR)),
  ],
  'DATA after content-length: 0': [frame(FrameType.HEADERS, Flag.END_HEADERS, 1, POST_EMPTY), frame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from('hello'))],
  'WINDOW_UPDATE overflowing the stream window': [frame(FrameType.HEADERS, Flag.END_HEADERS, 1, GET), frame(FrameType.WINDOW_UPDATE, 0, 1, u32(0x7fffffff))],
  'client GOAWAY with an error code': [frame(FrameType.HEADERS, Flag.END_HEADERS, 1, GET), frame(FrameType.GOAWAY, 0, 0, Buffer.concat([u32(0), u32(INTERNAL_ERROR)]))],
};

for (const [name, frames] of Object.entries(sequences)) {
  test(`h2 in one packet: ${name} leaves the proxy serving`, async () => {
    await rawExchange(port, Buffer.concat([clientStart(), ...frames]), { timeoutMs: 500 });
    // The crash came on a later tick: a request after the exchange proves the process survived it.
    const r = await request(port, { path: '/after' });
    assert.equal(proxy.proc.exitCode, null, `proxy exited:\n${proxy.output()}`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'backend GET /after 0');
  });
}

test('an h2 client that half-closes (FIN) gets its in-flight response, then the connection closes', async () => {
  const start = Date.now();
  const r = await rawExchange(port, [clientStart(), frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, GET)], { timeoutMs: 3000, halfClose: true });
  assert.equal(r.closed, true, `still open after ${Date.now() - start} ms`);
  // The response to stream 1 (HEADERS, then DATA with END_STREAM) came before the close.
  const frames = Buffer.from(r.data, 'latin1');
  let off = 0;
  const seen: string[] = [];
  while (off + 9 <= frames.length) {
    seen.push(`${frames[off + 3]}:${frames.readUInt32BE(off + 5)}`);
    off += 9 + frames.readUIntBE(off, 3);
  }
  assert.ok(seen.includes(`${FrameType.HEADERS}:1`), `frames seen (type:stream): ${seen.join(' ')}`);
  assert.ok(seen.includes(`${FrameType.GOAWAY}:0`), `frames seen (type:stream): ${seen.join(' ')}`);
});

/** Frame (type, stream id) pairs in what the proxy sent. */
function frameList(data: string): { type: number; id: number }[] {
  const b = Buffer.from(data, 'latin1');
  const out: { type: number; id: number }[] = [];
  for (let off = 0; off + 9 <= b.length; off += 9 + b.readUIntBE(off, 3)) out.push({ type: b[off + 3], id: b.readUInt32BE(off + 5) });
  return out;
}

test('a connection error (DATA on an idle stream): GOAWAY, and the connection closes within idle_timeout', async () => {
  const start = Date.now();
  const r = await rawExchange(port, [clientStart(), frame(FrameType.DATA, 0, 1, Buffer.from('x'))], { timeoutMs: 3000 });
  // nghttp2 sends GOAWAY(PROTOCOL_ERROR) and stops reading; Node never drops such a session by itself.
  assert.equal(r.closed, true, `still open after ${Date.now() - start} ms`);
  assert.ok(frameList(r.data).some((f) => f.type === FrameType.GOAWAY));
  assert.ok(Date.now() - start >= IDLE_TIMEOUT_MS - 50, 'closed by the idle timeout, not before');
});

test('idle_timeout: an h2 connection whose last stream ended gets GOAWAY and closes', async () => {
  const { default: http2 } = await import('node:http2');
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const closed = new Promise<number>((resolve) => session.once('close', () => resolve(Date.now())));
  const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
  const start = Date.now();
  const body = await new Promise<string>((resolve, reject) => {
    const s = session.request({ ':path': '/idle', ':authority': 'example.com' });
    let d = '';
    s.on('data', (c: Buffer) => (d += c.toString()));
    s.on('end', () => resolve(d));
    s.on('error', reject);
  });
  try {
    assert.equal(body, 'backend GET /idle 0');
    await waitFor(() => Promise.race([goaway.then(() => true), sleep(50).then(() => false)]), 3000, 'GOAWAY on the idle connection');
    const at = await waitFor(() => Promise.race([closed, sleep(50).then(() => 0)]), 3000, 'the idle connection to close');
    assert.ok(at - start >= IDLE_TIMEOUT_MS - 50, `closed after ${at - start} ms`);
  } finally {
    session.destroy();
  }
});

test('a connection error after a stream was accepted: its response cannot be sent, the stream and then the connection end', async () => {
  const start = Date.now();
  // DATA on a stream the client already ended: nghttp2 terminates the session, with stream 1 in the proxy's hands.
  const frames = [clientStart(), frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, GET), frame(FrameType.DATA, 0, 1, Buffer.from('x'))];
  const r = await rawExchange(port, frames, { timeoutMs: 4000 });
  assert.equal(r.closed, true, `still open after ${Date.now() - start} ms`);
  assert.ok(frameList(r.data).some((f) => f.type === FrameType.GOAWAY));
});

test('a client FIN in the middle of a header block (HEADERS without END_HEADERS): the connection closes', async () => {
  const start = Date.now();
  const r = await rawExchange(port, [clientStart(), frame(FrameType.HEADERS, 0, 1, GET)], { timeoutMs: 3000, halfClose: true });
  assert.equal(r.closed, true, `still open after ${Date.now() - start} ms`);
});
