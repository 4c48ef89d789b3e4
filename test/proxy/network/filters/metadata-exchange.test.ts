// Network filters: istio.metadata_exchange — with the exchange's ALPN it writes this proxy's frame first and takes the
// client's frame off the stream (the terminal sees only what follows); without it, bytes pass untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { NetworkFilterChain } from '../../../../src/proxy/network/chain.js';
import { connectionState } from '../../../../src/proxy/network/connection-state.js';
import { metadataExchangeFactory } from '../../../../src/proxy/network/filters/metadata_exchange/filter.js';
import { METADATA_EXCHANGE_TYPE, validateMetadataExchange } from '../../../../src/proxy/network/filters/metadata_exchange/config.js';
import { ExchangeReader, encodeExchangeFrame } from '../../../../src/proxy/telemetry/peer-exchange.js';
import { setLocalNodeMetadata } from '../../../../src/proxy/telemetry/peer-info.js';
import type { DownstreamConnectionInfo } from '../../../../src/proxy/http/types.js';
import { errorsOf, filterContext, validated } from './helpers.js';

const cfg = validated(validateMetadataExchange, { '@type': METADATA_EXCHANGE_TYPE, protocol: 'istio-peer-exchange' });

function info(alpn: string | undefined): DownstreamConnectionInfo {
  return {
    remoteAddress: '127.0.0.1', remotePort: 1, localAddress: '127.0.0.1', localPort: 2, listenerName: 'l', filterChainName: '',
    ...(alpn !== undefined ? { tls: { alpn, peerUriSans: [] } } : {}),
  };
}

/** Serves one connection through the exchange into an echo terminal; returns the client, what the terminal read, and the info. */
async function serve(alpn: string | undefined) {
  const ctx = filterContext();
  const chain = new NetworkFilterChain([metadataExchangeFactory(cfg, ctx)]);
  const conn = info(alpn);
  let terminalRead = '';
  const server = net.createServer((raw) => {
    // as the listener manager does: the echo racing the client's close resets, which surfaces as 'close'
    raw.on('error', () => {});
    chain.accept(raw, conn, (s: Duplex) => {
      s.on('data', (d: Buffer) => (terminalRead += d.toString()));
      s.pipe(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const received: Buffer[] = [];
  client.on('data', (d: Buffer) => received.push(d));
  await new Promise((r) => client.once('connect', r));
  return { client, conn, ctx, received, terminal: () => terminalRead, close: () => (client.destroy(), server.close()) };
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in 3 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('config: protocol is required; additional_labels is refused by name; enable_discovery is accepted', () => {
  assert.deepEqual(errorsOf(validateMetadataExchange, {}), ['f.protocol: is required']);
  assert.deepEqual(errorsOf(validateMetadataExchange, { protocol: 'p', additional_labels: ['role'] }), ['f.additional_labels: additional_labels is not supported by trellis']);
  assert.deepEqual(errorsOf(validateMetadataExchange, { protocol: 'p', enable_discovery: true }), []);
});

test('with the ALPN: our frame is written first, the client frame is read and never reaches the terminal', async () => {
  setLocalNodeMetadata('sidecar~db', { NAMESPACE: 'default', WORKLOAD_NAME: 'db-v1', LABELS: { app: 'db' } });
  const s = await serve('istio-peer-exchange');
  const frame = encodeExchangeFrame({ NAMESPACE: 'default', WORKLOAD_NAME: 'client-v1', LABELS: { app: 'client' } }, 'sidecar~client');
  // the frame split across writes, the payload right behind it
  s.client.write(frame.subarray(0, 5));
  await new Promise((r) => setTimeout(r, 10));
  s.client.write(Buffer.concat([frame.subarray(5), Buffer.from('ping')]));
  await until(() => Buffer.concat(s.received).length > 4 && Buffer.concat(s.received).toString().endsWith('ping'));
  assert.equal(s.terminal(), 'ping');
  const reply = new ExchangeReader().push(Buffer.concat(s.received));
  assert.equal(reply.state, 'done', 'the server frame comes before the echo');
  assert.equal(reply.state === 'done' && reply.peer?.workload, 'db-v1');
  assert.equal(reply.state === 'done' && reply.rest.toString(), 'ping');
  assert.equal(connectionState(s.conn).downstreamPeer?.workload, 'client-v1');
  assert.equal(s.ctx.stats.get('metadata_exchange.alpn_protocol_found'), 1);
  assert.equal(s.ctx.stats.get('metadata_exchange.metadata_added'), 1);
  s.close();
});

test('without the ALPN: nothing is written and every byte passes', async () => {
  const s = await serve(undefined);
  s.client.write('plain bytes');
  await until(() => Buffer.concat(s.received).toString() === 'plain bytes');
  assert.equal(s.terminal(), 'plain bytes');
  assert.equal(connectionState(s.conn).downstreamPeer, undefined);
  assert.equal(s.ctx.stats.get('metadata_exchange.alpn_protocol_not_found'), 1);
  s.close();
});

test('with the ALPN but a client that sends no frame: its bytes pass unchanged and the connection is counted', async () => {
  const s = await serve('istio-peer-exchange');
  s.client.write('not a frame at all');
  await until(() => s.terminal() === 'not a frame at all');
  assert.equal(s.ctx.stats.get('metadata_exchange.header_not_found'), 1);
  s.close();
});
