// Proxy network filters: onNewConnection in order with stop/continue, onData held then released in order,
// onWrite observing replies, and a chain without data filters handing the raw socket over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { NetworkFilterChain } from '../../../src/proxy/network/chain.js';
import type { NetworkFilterCallbacks, NetworkFilterFactory } from '../../../src/proxy/network/api.js';
import type { DownstreamConnectionInfo } from '../../../src/proxy/http/types.js';

const INFO: DownstreamConnectionInfo = { remoteAddress: '127.0.0.1', remotePort: 1, localAddress: '127.0.0.1', localPort: 2, listenerName: 'l', filterChainName: '' };

/** A loopback server whose accepted sockets go through `chain` to an echo terminal; returns a connected client. */
async function serve(chain: NetworkFilterChain, onTerminal: (s: Duplex) => void = (s) => s.pipe(s)): Promise<{ client: net.Socket; close(): void }> {
  const server = net.createServer({ allowHalfOpen: true }, (raw) => chain.accept(raw, INFO, onTerminal));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  return { client, close: () => (client.destroy(), server.close()) };
}

function collect(s: net.Socket, n: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.length >= n) resolve(got);
    });
  });
}

test('network chain: a filter holding the connection delays the terminal until it continues', async () => {
  let held!: NetworkFilterCallbacks;
  const order: string[] = [];
  const chain = new NetworkFilterChain([
    (cb) => ({ onNewConnection: () => ((held = cb), order.push('a'), 'stop') }),
    () => ({ onNewConnection: () => (order.push('b'), 'continue') }),
  ]);
  let terminal: Duplex | undefined;
  const { client, close } = await serve(chain, (s) => {
    terminal = s;
    order.push('terminal');
    s.pipe(s);
  });
  client.write('early');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, ['a']);
  held.continueReading();
  assert.equal(await collect(client, 5), 'early', 'bytes sent while held reach the terminal');
  assert.deepEqual(order, ['a', 'b', 'terminal']);
  assert.ok(terminal instanceof net.Socket, 'without data filters the terminal gets the raw socket');
  close();
});

test('network chain: onData sees bytes in order and can hold them; onWrite sees the replies', async () => {
  const seen: string[] = [];
  const written: string[] = [];
  let cb0!: NetworkFilterCallbacks;
  let holding = true;
  const factories: NetworkFilterFactory[] = [
    (cb) => ((cb0 = cb), { onData: (d) => (seen.push(d.toString()), holding ? 'stop' : 'continue'), onWrite: (d) => void written.push(d.toString()) }),
  ];
  const { client, close } = await serve(new NetworkFilterChain(factories));
  client.write('one');
  await new Promise((r) => setTimeout(r, 20));
  client.write('two');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, ['one']);
  holding = false;
  cb0.continueReading();
  const echoed = await collect(client, 6);
  assert.equal(echoed, 'onetwo');
  assert.equal(written.join(''), 'onetwo');
  close();
});

test('network chain: close() from onNewConnection ends the connection before the terminal', async () => {
  let reached = false;
  const chain = new NetworkFilterChain([(cb) => ({ onNewConnection: () => (cb.close(), 'stop') })]);
  const { client, close } = await serve(chain, () => {
    reached = true;
  });
  await new Promise((r) => client.once('close', r));
  assert.equal(reached, false);
  close();
});
