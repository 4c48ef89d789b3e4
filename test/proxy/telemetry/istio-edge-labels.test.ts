import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPrincipals, DestinationServices, destinationService } from '../../../src/proxy/telemetry/istio-edge-labels.js';
import type { DownstreamConnectionInfo } from '../../../src/proxy/http/types.js';
import type { PeerInfo } from '../../../src/proxy/telemetry/peer-info.js';

const conn = (tls?: DownstreamConnectionInfo['tls']): DownstreamConnectionInfo =>
  ({ remoteAddress: '127.0.0.1', remotePort: 1, localAddress: '127.0.0.1', localPort: 2, listenerName: 'l', filterChainName: 'c', ...(tls ? { tls } : {}) });

test('destination services: one object per distinct cluster, own identity or host, equal to destinationService()', () => {
  const d = new DestinationServices();
  const me = { service: 'ratings', namespace: 'shop' } as PeerInfo;
  const c = 'outbound|9080|v1|reviews.default.svc.cluster.local';
  assert.equal(d.get(c, undefined, 'x'), d.get(c, undefined, 'y'));
  assert.deepEqual(d.get(c, undefined, 'x'), destinationService(c, undefined, 'x'));
  assert.equal(d.get('', me, 'a:1'), d.get('', me, 'b:2'));
  assert.deepEqual(d.get('', me, 'a:1'), destinationService('', me, 'a:1'));
  // a new local identity (tests set it again) is not answered from the old one
  const me2 = { service: 'details', namespace: 'shop' } as PeerInfo;
  assert.equal(d.get('', me2, '').fqdn, 'details.shop.svc.cluster.local');
  assert.equal(d.get('inbound|80||', undefined, 'api.example.com:443'), d.get('inbound|80||', undefined, 'api.example.com:443'));
  assert.deepEqual(d.get('', undefined, 'api.example.com:443'), destinationService('', undefined, 'api.example.com:443'));
  assert.deepEqual(d.get('', undefined, ''), destinationService('', undefined, ''));
  // hosts come from clients: many distinct ones are still answered right (the memo starts over when full)
  for (let i = 0; i < 3000; i++) assert.equal(d.get('', undefined, `h${i}.example.com:80`).fqdn, `h${i}.example.com`);
});

test('principals: worked out once per connection, shared by connections with the same identities', () => {
  const server = new ConnectionPrincipals(false);
  const tls = (peer: string[]) => ({ peerUriSans: peer, localUriSans: ['spiffe://cluster.local/ns/a/sa/echo'] });
  const a = conn(tls(['dns:x', 'spiffe://cluster.local/ns/a/sa/client']));
  const b = conn(tls(['dns:x', 'spiffe://cluster.local/ns/a/sa/client']));
  const p = server.get(a);
  assert.deepEqual(p, { source: 'spiffe://cluster.local/ns/a/sa/client', destination: 'spiffe://cluster.local/ns/a/sa/echo', policy: 'mutual_tls' });
  assert.equal(server.get(a), p);
  assert.equal(server.get(b), p);
  assert.deepEqual(server.get(conn(tls([]))), { source: 'unknown', destination: 'spiffe://cluster.local/ns/a/sa/echo', policy: 'none' });
  assert.deepEqual(server.get(conn()), { source: 'unknown', destination: 'unknown', policy: 'none' });

  const client = new ConnectionPrincipals(true);
  assert.deepEqual(client.get(a), { source: 'spiffe://cluster.local/ns/a/sa/echo', destination: 'unknown', policy: 'unknown' });
  assert.deepEqual(client.get(conn()), { source: 'unknown', destination: 'unknown', policy: 'unknown' });
});
