// Tests the proxy's gRPC streaming call over node:http2 against a real grpc-js server (messages both ways, OK and error statuses) and against endpoints that are not gRPC servers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { connectH2, startBidiCall, type GrpcMethod } from '../../../src/proxy/xds/grpc-call.js';

const raw = (b: Buffer): Buffer => b;
const PATH = '/trellis.test.Echo/Chat';
/** Text messages; the server ends the call after a "bye …" message with the status it names. */
const METHOD: GrpcMethod<string, string> = { path: PATH, serialize: (s) => Buffer.from(s), deserialize: (b) => b.toString() };

interface Outcome {
  messages: string[];
  end: 'ok' | string;
}

/** Writes `msgs` on a fresh call and resolves with what came back and how the call ended. */
async function chat(port: number, method: GrpcMethod<string, string>, msgs: string[]): Promise<Outcome> {
  const session = await connectH2(`127.0.0.1:${port}`, { connectTimeoutMs: 2000 });
  try {
    return await new Promise<Outcome>((resolve) => {
      const messages: string[] = [];
      const call = startBidiCall(session, method, {
        onMessage: (m) => messages.push(m),
        onEnd: () => resolve({ messages, end: 'ok' }),
        onError: (reason) => resolve({ messages, end: reason }),
      });
      for (const m of msgs) call.write(m);
    });
  } finally {
    session.destroy();
  }
}

function listening(server: net.Server | http2.Http2Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

describe('gRPC bidi call over node:http2', () => {
  let server: grpc.Server;
  let port: number;

  before(async () => {
    server = new grpc.Server();
    const service: grpc.ServiceDefinition = {
      Chat: { path: PATH, requestStream: true, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
    };
    server.addService(service, {
      Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (b: Buffer) => {
          const s = b.toString();
          if (s === 'bye ok') return call.end();
          if (s.startsWith('bye ')) return call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: s.slice(4) });
          call.write(Buffer.from(`echo ${s}`));
        });
      },
    });
    port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e !== null ? reject(e) : resolve(p))));
  });

  after(() => server.forceShutdown());

  it('sends and receives messages (a large one too) and reports the server ending the call with OK', async () => {
    const big = 'x'.repeat(300_000);
    const out = await chat(port, METHOD, ['a', big, 'b', 'bye ok']);
    assert.deepEqual(out.messages, ['echo a', `echo ${big}`, 'echo b']);
    assert.equal(out.end, 'ok');
  });

  it('reports a non-OK status by name with its message, percent-decoded', async () => {
    const out = await chat(port, METHOD, ['bye version 5% ahead — «later»']);
    assert.equal(out.end, 'FAILED_PRECONDITION: version 5% ahead — «later»');
  });

  it('reports a trailers-only UNIMPLEMENTED for a method the server lacks', async () => {
    const out = await chat(port, { ...METHOD, path: '/trellis.test.Echo/Missing' }, ['a']);
    assert.match(out.end, /^UNIMPLEMENTED/);
  });

  it('reports a response that does not parse, and ends the call', async () => {
    const out = await chat(port, { ...METHOD, deserialize: () => { throw new Error('bad bytes'); } }, ['a']);
    assert.equal(out.end, 'cannot parse a response: bad bytes');
  });

  it('refuses an HTTP/2 server that does not answer gRPC', async () => {
    const h2 = http2.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no');
    });
    const p = await listening(h2);
    try {
      const out = await chat(p, METHOD, ['a']);
      assert.equal(out.end, 'HTTP status 404');
    } finally {
      h2.close();
    }
  });

  it('fails to connect within the timeout to a port that accepts TCP but never speaks HTTP/2, and at once to a closed port', async () => {
    const sockets: net.Socket[] = [];
    const mute = net.createServer((s) => sockets.push(s));
    const p = await listening(mute);
    try {
      const t0 = performance.now();
      await assert.rejects(connectH2(`127.0.0.1:${p}`, { connectTimeoutMs: 200 }), /no HTTP\/2 session within 200 ms/);
      assert.ok(performance.now() - t0 >= 190);
    } finally {
      for (const s of sockets) s.destroy();
      mute.close();
    }
    await assert.rejects(connectH2(`127.0.0.1:${p}`, { connectTimeoutMs: 2000 }), /ECONNREFUSED/);
  });
});
