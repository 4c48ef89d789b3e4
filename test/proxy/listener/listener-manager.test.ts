// Tests for ListenerManager with real sockets: chain selection, TLS/mTLS, inspectors, stats, updates and close.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { ListenerManager } from '../../../src/proxy/listener/listener-manager.js';
import type { Listener } from '../../../src/proxy/config/types.js';
import { makeTestPki, type TestPki } from '../../fixtures/certs.js';
import { FakeClusterManager, FakeStats } from '../tcp/fakes.js';
import { downstreamTls, exact, FakeHttpHandlers, httpChain, listener } from './builders.js';

let dir: string;
let pki: TestPki;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'trellis-lm-'));
  pki = makeTestPki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Env {
  lm: ListenerManager;
  stats: FakeStats;
  handlers: FakeHttpHandlers;
  port(name?: string): number;
}

async function withListeners(listeners: Listener[], run: (env: Env) => Promise<void>): Promise<void> {
  const stats = new FakeStats();
  const handlers = new FakeHttpHandlers();
  const lm = new ListenerManager({ stats, clusterManager: new FakeClusterManager(), createHttpHandler: handlers.create, drainTimeMs: 300 });
  await lm.update(listeners);
  const port = (name?: string): number => {
    const a = lm.addresses().find((x) => name === undefined || x.name === name);
    if (!a) throw new Error(`no listener ${name}`);
    return a.port;
  };
  try {
    await run({ lm, stats, handlers, port });
  } finally {
    await lm.close();
    handlers.close();
  }
}

/** One HTTP/1.1 request on an existing raw (or TLS) socket; relies on Content-Length, as our fake servers send it. */
function requestOn(sock: net.Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length >= end + 4 + len) {
        sock.removeListener('data', onData);
        resolve(buf.slice(end + 4, end + 4 + len));
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.once('close', () => reject(new Error('closed')));
    sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

function connectPlain(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function connectTls(port: number, o: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: pki.caCert, servername: 'localhost', checkServerIdentity: () => undefined, ...o }, () => resolve(s));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed before handshake')));
  });
}

/** Resolves with the body, or rejects if the server closes the connection. */
async function tlsGet(port: number, path: string, o: tls.ConnectionOptions = {}): Promise<string> {
  const s = await connectTls(port, o);
  try {
    return await requestOn(s, path);
  } finally {
    s.destroy();
  }
}

function h2Get(url: string, path: string, o: http2.SecureClientSessionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(url, o);
    c.on('error', reject);
    const req = c.request({ ':path': path });
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      c.close();
      resolve(body);
    });
    req.on('error', reject);
  });
}

const waitClosed = (s: net.Socket): Promise<void> => new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));

test('port 0 is bound and reported; stats use the bound address; http_inspector tells h2 from HTTP/1.1', async () => {
  await withListeners([listener('plain', [httpChain('main')], { filters: ['http_inspector'] })], async ({ lm, stats, handlers, port }) => {
    const p = port('plain');
    assert.ok(p > 0);
    assert.deepEqual(lm.addresses(), [{ name: 'plain', address: '127.0.0.1', port: p }]);
    const r = await fetch(`http://127.0.0.1:${p}/one`);
    assert.equal(await r.text(), 'main http/1.1 /one');
    assert.equal(handlers.last().protocol, 'http/1.1');
    assert.equal(await h2Get(`http://127.0.0.1:${p}`, '/two'), 'main h2 /two');
    assert.equal(handlers.last().protocol, 'h2');
    const info = handlers.last().info;
    assert.equal(info.listenerName, 'plain');
    assert.equal(info.filterChainName, 'main');
    assert.equal(info.localPort, p);
    assert.equal(info.remoteAddress, '127.0.0.1');
    assert.equal(info.tls, undefined);
    const prefix = `listener.127.0.0.1_${p}`;
    assert.equal(stats.get(`${prefix}.downstream_cx_total`), 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(stats.samples.get(`${prefix}.downstream_cx_length_ms`)?.length);
  });
});

test('without http_inspector an AUTO codec chain still detects the h2 preface', async () => {
  await withListeners([listener('plain', [httpChain('main')])], async ({ handlers, port }) => {
    assert.equal(await h2Get(`http://127.0.0.1:${port()}`, '/x'), 'main h2 /x');
    assert.equal(handlers.last().protocol, 'h2');
    const s = await connectPlain(port());
    assert.equal(await requestOn(s, '/y'), 'main http/1.1 /y');
    s.destroy();
  });
});

test('SNI picks exact over wildcard over catch-all; TLS and plaintext share one port via tls_inspector', async () => {
  const tlsCtx = downstreamTls(pki);
  const l = listener(
    'mixed',
    [
      httpChain('exact', { server_names: ['a.example.com'], transport_protocol: 'tls' }, tlsCtx),
      httpChain('wild', { server_names: ['*.example.com'], transport_protocol: 'tls' }, tlsCtx),
      httpChain('any-tls', { transport_protocol: 'tls' }, tlsCtx),
      httpChain('plain', { transport_protocol: 'raw_buffer' }),
    ],
    { filters: ['tls_inspector'] },
  );
  await withListeners([l], async ({ handlers, port }) => {
    assert.equal(await tlsGet(port(), '/1', { servername: 'a.example.com' }), 'exact http/1.1 /1');
    assert.equal(handlers.last().info.tls?.sni, 'a.example.com');
    assert.equal(await tlsGet(port(), '/2', { servername: 'b.example.com' }), 'wild http/1.1 /2');
    assert.equal(await tlsGet(port(), '/3', { servername: 'localhost' }), 'any-tls http/1.1 /3');
    const r = await fetch(`http://127.0.0.1:${port()}/4`);
    assert.equal(await r.text(), 'plain http/1.1 /4');
  });
});

test('ALPN: an h2 chain for clients offering h2, another for HTTP/1.1; the handler gets protocol h2', async () => {
  const l = listener(
    'alpn',
    [
      httpChain('h2-chain', { application_protocols: ['h2'] }, downstreamTls(pki, { alpn: ['h2', 'http/1.1'] })),
      httpChain('h1-chain', {}, downstreamTls(pki, { alpn: ['http/1.1'] })),
    ],
    { filters: ['tls_inspector'] },
  );
  await withListeners([l], async ({ handlers, port }) => {
    assert.equal(await h2Get(`https://localhost:${port()}`, '/h2', { ca: pki.caCert }), 'h2-chain h2 /h2');
    assert.equal(handlers.last().info.tls?.alpn, 'h2');
    assert.equal(await tlsGet(port(), '/h1', { ALPNProtocols: ['http/1.1'] }), 'h1-chain http/1.1 /h1');
    assert.equal(handlers.last().protocol, 'http/1.1');
  });
});

test('source prefix and no_filter_chain_match', async () => {
  const l = listener('src', [
    httpChain('remote', { source_prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] }),
    httpChain('loopback', { source_prefix_ranges: [{ address_prefix: '127.0.0.0', prefix_len: 8 }] }),
  ]);
  await withListeners([l], async ({ port }) => {
    assert.equal(await (await fetch(`http://127.0.0.1:${port()}/s`)).text(), 'loopback http/1.1 /s');
  });
  await withListeners([listener('none', [httpChain('remote', { source_prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] })])], async ({ stats, port }) => {
    const s = await connectPlain(port());
    s.on('error', () => {});
    s.write('GET / HTTP/1.1\r\n\r\n');
    await waitClosed(s);
    assert.equal(stats.get(`listener.127.0.0.1_${port()}.no_filter_chain_match`), 1);
  });
});

test('destination_port selection; update() keeps the socket, swaps chains, and open connections keep working', async () => {
  await withListeners([listener('dp', [httpChain('v1')])], async ({ lm, handlers, port }) => {
    const p = port();
    const old = await connectPlain(p);
    assert.equal(await requestOn(old, '/a'), 'v1 http/1.1 /a');

    await lm.update([listener('dp', [httpChain('v2-other-port', { destination_port: p + 1 }), httpChain('v2-this-port', { destination_port: p })])]);
    assert.equal(port(), p, 'same address keeps the bound port');
    assert.equal(await (await fetch(`http://127.0.0.1:${p}/b`)).text(), 'v2-this-port http/1.1 /b');
    // the connection accepted before the update is still served by its original chain
    assert.equal(await requestOn(old, '/c'), 'v1 http/1.1 /c');
    assert.deepEqual(handlers.drained, ['v1']);
    old.destroy();

    // an unchanged chain keeps its handler (no new drain)
    await lm.update([listener('dp', [httpChain('v2-other-port', { destination_port: p + 1 }), httpChain('v2-this-port', { destination_port: p })])]);
    assert.deepEqual(handlers.drained, ['v1']);

    // removal closes the listener
    await lm.update([]);
    assert.deepEqual(lm.addresses(), []);
    await assert.rejects(connectPlain(p));
  });
});

test('mTLS: no client cert and a wrong SPIFFE id are rejected; the right one reaches the handler with its URI SAN', async () => {
  const sans = [{ san_type: 'URI' as const, matcher: exact(pki.clientSpiffeId) }];
  const l = listener('mtls', [httpChain('secure', {}, downstreamTls(pki, { requireClient: true, sans }))]);
  const other = pki.issue('other-client', 'other', 'URI:spiffe://cluster.local/ns/default/sa/other');
  const stranger = pki.selfSigned('stranger', 'client', `URI:${pki.clientSpiffeId}`);
  await withListeners([l], async ({ stats, handlers, port }) => {
    const prefix = `listener.127.0.0.1_${port()}`;
    await assert.rejects(tlsGet(port(), '/nocert'));
    await assert.rejects(tlsGet(port(), '/other', { cert: other.cert, key: other.key }));
    await assert.rejects(tlsGet(port(), '/stranger', { cert: stranger.cert, key: stranger.key }));
    assert.equal(handlers.seen.length, 0);
    assert.equal(await tlsGet(port(), '/ok', { cert: pki.clientCert, key: pki.clientKey }), 'secure http/1.1 /ok');
    const t = handlers.last().info.tls;
    assert.deepEqual(t?.peerUriSans, [pki.clientSpiffeId]);
    assert.match(t?.peerSubject ?? '', /^CN=client,O=trellis-test$/);
    assert.equal(stats.get(`${prefix}.ssl.fail_verify_no_cert`), 1);
    assert.equal(stats.get(`${prefix}.ssl.fail_verify_san`), 1);
    assert.equal(stats.get(`${prefix}.ssl.handshake`), 1);
  });
});

test('listener_filters_timeout closes silent connections unless continue_on_listener_filters_timeout', async () => {
  await withListeners([listener('slow', [httpChain('c')], { filters: ['tls_inspector'], listener_filters_timeout: 100 })], async ({ stats, port }) => {
    const s = await connectPlain(port());
    s.on('error', () => {});
    await waitClosed(s);
    assert.equal(stats.get(`listener.127.0.0.1_${port()}.downstream_pre_cx_timeout`), 1);
  });
  const cont = listener('slow2', [httpChain('c')], { filters: ['tls_inspector'], listener_filters_timeout: 100, continue_on_listener_filters_timeout: true });
  await withListeners([cont], async ({ handlers, port }) => {
    const s = await connectPlain(port());
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await requestOn(s, '/late'), 'c http/1.1 /late');
    assert.equal(handlers.seen.length, 1);
    s.destroy();
  });
});

test('https client over the default chain and close() resets remaining connections', async () => {
  await withListeners([listener('tlsonly', [], { default_filter_chain: httpChain('dflt', undefined, downstreamTls(pki)) })], async ({ lm, port }) => {
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: port(), path: '/d', ca: pki.caCert, servername: 'localhost', agent: false }, (r) => {
          let d = '';
          r.on('data', (x: Buffer) => (d += x.toString()));
          r.on('end', () => resolve(d));
        })
        .on('error', reject);
    });
    assert.equal(body, 'dflt http/1.1 /d');
    const open = await connectTls(port());
    open.on('error', () => {});
    await lm.close();
    await waitClosed(open);
  });
});

test('updates are serialized; a listener that fails to compile or bind is named and the rest still apply', async () => {
  await withListeners([listener('a', [httpChain('a1')])], async ({ lm, port }) => {
    const pa = port('a');
    const broken = downstreamTls({ ...pki, serverKey: 'not a key' });
    const taken = listener('clash', [httpChain('x')], { port: pa });
    // two updates issued back to back: the second sees what the first bound
    const first = lm.update([listener('a', [httpChain('a1')]), listener('b', [httpChain('b1')])]);
    const second = lm.update([listener('a', [httpChain('a1', {}, broken)]), listener('b', [httpChain('b1')]), taken]);
    await first;
    await assert.rejects(second, (e: Error) => /listener a: .*previous config kept/.test(e.message) && /listener clash: .*EADDRINUSE/.test(e.message));
    assert.deepEqual(lm.addresses().map((x) => x.name).sort(), ['a', 'b']);
    assert.equal(port('a'), pa);
    assert.equal(await (await fetch(`http://127.0.0.1:${pa}/still`)).text(), 'a1 http/1.1 /still');
    assert.equal(await (await fetch(`http://127.0.0.1:${port('b')}/b`)).text(), 'b1 http/1.1 /b');
  });
});

test('a connection accepted just before its chain is replaced, still sniffing its codec, is served (not reset) by that chain', async () => {
  await withListeners([listener('sniff', [httpChain('v1')])], async ({ lm, handlers, port }) => {
    const p = port();
    // accepted by v1, but no byte sent yet: the AUTO codec has not handed it to the HCM
    const early = await connectPlain(p);
    let reset = false;
    early.once('close', () => (reset = true));
    await new Promise((r) => setTimeout(r, 20));
    await lm.update([listener('sniff', [httpChain('v2')])]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(reset, false, 'not closed before it could send its request');
    assert.equal(await requestOn(early, '/late'), 'v1 http/1.1 /late');
    assert.deepEqual(handlers.drained, ['v1']);
    early.destroy();
  });
});
