// Response sinks: one framed response written straight to grpc-js' HTTP/2 streams reaches real clients intact, a window
// of bytes at a time; writes racing the stream's end are dropped without an error; grpc-js' own send limit still applies.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from '../../../src/xds/ads-service.js';
import { framedDelta, joined, type FramedResponse } from '../../../src/control/xds/framed-response.js';
import { responseSink, writesDirect } from '../../../src/control/xds/response-sink.js';
import { adsClient, delta } from './ads-client.js';

type Call = grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** A server whose Delta handler hands each new call to `onCall`. */
async function server(onCall: (call: Call) => void, options: grpc.ServerOptions = {}): Promise<{ port: number; stop: () => void }> {
  const s = new grpc.Server(options);
  s.addService(adsServiceDefinition(), {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
    DeltaAggregatedResources: onCall,
  });
  const port = await new Promise<number>((resolve, reject) =>
    s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e !== null ? reject(e) : resolve(p))),
  );
  return { port, stop: () => s.forceShutdown() };
}

/** A response of one resource of `size` bytes per 100 kB chunk count (none for size 0). */
function response(nonce: string, size = 0): FramedResponse {
  const resources = [];
  for (let i = 0; i * 100_000 < size; i++) resources.push({ name: `r${i}`, version: '1', resource: { type_url: 't', value: Buffer.alloc(Math.min(100_000, size - i * 100_000), i) } });
  return framedDelta({ system_version_info: 'v1', type_url: 't', nonce, removed_resources: [], resources, identifier: 'test' });
}

/** An HTTP/2 stream stand-in that holds every write's callback until released (a peer that reads slowly). */
class HeldStream extends Writable {
  readonly written: Buffer[] = [];
  private held: (() => void)[] = [];
  constructor() {
    super({ highWaterMark: 16 * 1024 });
  }
  override _writev(chunks: { chunk: Buffer }[], cb: () => void): void {
    for (const c of chunks) this.written.push(c.chunk);
    this.held.push(cb);
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.written.push(chunk);
    this.held.push(cb);
  }
  get bytes(): number {
    return this.written.reduce((a, b) => a + b.length, 0);
  }
  /** Lets the writes so far complete; resolves once their callbacks ran. */
  async release(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const cb of held) cb();
    await new Promise((r) => setImmediate(r));
  }
}

/** A grpc-js server call as the direct path sees it, over `stream`. */
function fakeCall(stream: HeldStream): grpc.ServerDuplexStream<unknown, unknown> {
  const inner = { stream, cancelled: false, maxSendMessageSize: -1, maybeSendMetadata: () => {} };
  return { call: inner, writableEnded: false } as unknown as grpc.ServerDuplexStream<unknown, unknown>;
}

/** A response of `count` resources of `size` bytes each. */
function manySmall(count: number, size: number): FramedResponse {
  const resources = Array.from({ length: count }, (_, i) => ({ name: `r${i}`, version: '1', resource: { type_url: 't', value: Buffer.alloc(size, i) } }));
  return framedDelta({ system_version_info: 'v1', type_url: 't', nonce: 'n', removed_resources: [], resources, identifier: 'test' });
}

describe('responseSink', () => {
  const stops: (() => void)[] = [];
  after(() => stops.forEach((s) => s()));

  it('hands a large response to HTTP/2 a window at a time, in order, and calls back once after the last byte', async () => {
    const stream = new HeldStream();
    const sink = responseSink(fakeCall(stream));
    const res = manySmall(4000, 1000); // ~4 MB in 4,000 chunks
    let sent = 0;
    sink.write(res, () => sent++);
    let windows = 0;
    while (stream.bytes < res.size) {
      windows++;
      // a window is at most 256 KiB (plus one chunk): never the whole response at once
      assert.ok(stream.bytes <= windows * (256 * 1024 + 1100), `window ${windows}: ${stream.bytes} bytes handed over`);
      assert.equal(sent, 0);
      const before = stream.bytes;
      await stream.release();
      assert.ok(stream.bytes > before || stream.bytes === res.size, 'the next window follows the release');
    }
    assert.ok(windows >= 15, `${windows} windows`);
    assert.equal(sent, 0, 'not sent before the last window completes');
    await stream.release();
    assert.equal(sent, 1);
    assert.deepEqual(Buffer.concat(stream.written), joined(res), 'the bytes are the message, in order');
  });

  it('calls back once, and writes no more, when the stream ends between windows', async () => {
    const stream = new HeldStream();
    const sink = responseSink(fakeCall(stream));
    let sent = 0;
    sink.write(manySmall(2000, 1000), () => sent++);
    const first = stream.bytes;
    stream.end();
    await stream.release();
    assert.equal(sent, 1);
    assert.equal(stream.bytes, first, 'nothing written after the end');
  });

  it('writes one shared response, in chunks, to several real streams straight to HTTP/2, and each client decodes it', async () => {
    const shared = response('n-1', 300_000);
    const direct: boolean[] = [];
    const { port, stop } = await server((call) => {
      direct.push(writesDirect(call));
      const sink = responseSink(call);
      call.on('data', () => sink.write(shared, () => {}));
    });
    stops.push(stop);
    const clients = [adsClient(port), adsClient(port), adsClient(port)];
    const streams = clients.map((c) => delta(c));
    for (const s of streams) s.send({ type_url: 't' });
    for (const s of streams) {
      const r = await s.next();
      assert.equal(r.nonce, 'n-1');
      assert.deepEqual(r.resources.map((x) => [x.name, x.resource?.value?.length, x.resource?.value?.[0]]), [['r0', 100_000, 0], ['r1', 100_000, 1], ['r2', 100_000, 2]]);
      s.send({ type_url: 't', response_nonce: 'n-1' });
      assert.equal((await s.next()).nonce, 'n-1', 'a second response on the same stream');
    }
    assert.deepEqual(direct, [true, true, true], 'with this grpc-js, responses bypass its per-stream copy');
    streams.forEach((s) => s.close());
    clients.forEach((c) => c.close());
  });

  it('drops a write after the call ended or the client went, calling back and raising no error', async () => {
    const sent: string[] = [];
    let ended: (() => void) | undefined;
    const gone = new Promise<void>((r) => (ended = r));
    const { port, stop } = await server((call) => {
      const sink = responseSink(call);
      call.on('data', () => {
        sink.write(response('a'), () => sent.push('a'));
        call.end();
        sink.write(response('b'), () => sent.push('b'));
      });
      call.on('cancelled', () => {
        sink.write(response('c'), () => sent.push('c'));
        ended!();
      });
    });
    stops.push(stop);
    const client = adsClient(port);
    const s = delta(client);
    s.send({ type_url: 't' });
    assert.equal((await s.next()).nonce, 'a');
    const deadline = Date.now() + 5000;
    while (!s.ended) {
      assert.ok(Date.now() < deadline, 'the call ends');
      await new Promise((r) => setTimeout(r, 10));
    }
    // a second stream, cancelled by its client while the server still writes
    const s2 = delta(client);
    s2.send({ type_url: 't' });
    await s2.next();
    s2.close();
    await gone;
    while (!sent.includes('c')) {
      assert.ok(Date.now() < deadline, `every write is called back (got ${sent.join(',')})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(sent.includes('b'));
    client.close();
  });

  it("keeps grpc-js' send limit: a response over it ends the call with RESOURCE_EXHAUSTED", async () => {
    const { port, stop } = await server((call) => {
      const sink = responseSink(call);
      call.on('data', () => sink.write(response('big', 5000), () => {}));
    }, { 'grpc.max_send_message_length': 1000 });
    stops.push(stop);
    const client = adsClient(port);
    const call = client.DeltaAggregatedResources();
    const status = new Promise<grpc.StatusObject>((r) => call.on('status', r));
    call.on('error', () => {});
    call.on('data', () => assert.fail('no response gets through'));
    call.write({ type_url: 't' });
    assert.equal((await status).code, grpc.status.RESOURCE_EXHAUSTED);
    client.close();
  });
});
