// E2E: an HTTP/2 stream that ends in the same read as its HEADERS (reset, bad DATA, window overflow, GOAWAY) must not crash the proxy.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { httpBootstrap, rawExchange, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';
import { Flag, FrameType, clientStart, frame, requestBlock, u32 } from './h2-wire.js';

let backend: Upstream;
let proxy: RunningProxy;
let port: number;

before(async () => {
  backend = await startUpstream('backend');
  proxy = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('backend', [backend.port])],
      routeConfig: { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] },
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
