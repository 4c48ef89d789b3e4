// Control-plane tap: the Tap/Stream handler — a caller joins only as a node with an ADS stream whose claimed identity is the one it proved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { serveTapStream } from '../../../src/control/tap/tap-service.js';
import { TapHub } from '../../../src/control/tap/tap-hub.js';
import type { ConnectedProxy } from '../../../src/control/xds/types.js';
import type { StreamAuthenticator } from '../../../src/control/xds/stream-auth.js';
import type { TapDown, TapUp } from '../../../src/tap/protocol.js';

class FakeCall extends EventEmitter {
  written: TapDown[] = [];
  errors: { code: number; details: string }[] = [];
  constructor() {
    super();
    this.on('error', (e: { code: number; details: string }) => this.errors.push(e));
  }
  getPeer(): string {
    return '127.0.0.1:1';
  }
  write(m: TapDown): boolean {
    this.written.push(m);
    return true;
  }
  end(): void {}
}

const reviews = { id: 'sidecar~10.0.0.1~reviews-v1.shop~shop.svc.cluster.local', metadata: { NAMESPACE: 'shop', SERVICE_ACCOUNT: 'reviews', TRELLIS_SERVICE: 'reviews', WORKLOAD_NAME: 'reviews-v1' } } as unknown as ConnectedProxy;
const authAs = (namespace: string, serviceAccount: string): StreamAuthenticator => ({ authenticate: async () => ({ ok: true, identity: { namespace, serviceAccount }, via: 'certificate' }) });

async function open(auth: StreamAuthenticator, first: TapUp): Promise<{ call: FakeCall; hub: TapHub }> {
  const hub = new TapHub();
  const call = new FakeCall();
  serveTapStream(call as unknown as grpc.ServerDuplexStream<TapUp, TapDown>, { hub, connected: () => [reviews], log: () => {} }, auth);
  await new Promise((r) => setImmediate(r));
  call.emit('data', first);
  return { call, hub };
}

test('the node joins the taps of its service once its identity matches', async () => {
  const { call, hub } = await open(authAs('shop', 'reviews'), { node: { id: reviews.id } });
  assert.deepEqual(call.errors, []);
  const tap = hub.start({ target: 'reviews', namespace: 'shop', match: {}, maxRps: 5 }, { onEvent: () => {} });
  assert.equal(tap.proxies, 1);
  assert.ok('start' in call.written[0]!);
  call.emit('close');
  assert.equal(hub.start({ target: 'reviews', namespace: 'shop', match: {}, maxRps: 5 }, { onEvent: () => {} }).proxies, 0, 'gone after close');
});

test('a caller proving another identity cannot speak for the node', async () => {
  const { call, hub } = await open(authAs('shop', 'ratings'), { node: { id: reviews.id } });
  assert.equal(call.errors[0]?.code, 7 /* PERMISSION_DENIED */);
  assert.equal(hub.start({ target: 'reviews', namespace: 'shop', match: {}, maxRps: 5 }, { onEvent: () => {} }).proxies, 0);
});

test('a node without an ADS stream, a first message that is not the node, an unauthenticated caller: refused', async () => {
  assert.equal((await open(authAs('shop', 'reviews'), { node: { id: 'nobody' } })).call.errors[0]?.code, 14 /* UNAVAILABLE */);
  assert.equal((await open(authAs('shop', 'reviews'), { events: { id: 'x', events: [], dropped: 0 } })).call.errors[0]?.code, 3 /* INVALID_ARGUMENT */);
  const refused: StreamAuthenticator = { authenticate: async () => ({ ok: false, reason: 'no certificate' }) };
  const { call } = await open(refused, { node: { id: reviews.id } });
  assert.equal(call.errors[0]?.code, 16 /* UNAUTHENTICATED */);
});
