// Tests the proxy view of GET /api/v1/proxies: per-type status with NACK errors, and the identity and certificate expiry of an authenticated proxy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proxyList, proxyView, type IssuedLookup } from '../../../src/control/http/proxy-view.js';
import type { ConnectedProxy, ProxyStatus } from '../../../src/control/xds/types.js';
import { sidecarNode } from '../xds/sim-sidecar.js';

function conn(identity?: { namespace: string; serviceAccount: string }): ConnectedProxy {
  const node = sidecarNode('reviews-1', '10.0.0.7', { labels: 'app=reviews,version=v1', service: 'reviews' });
  return { connId: `${node.id}~1`, id: node.id!, node, metadata: node.metadata!, connectedAt: new Date(0), mode: 'sotw', peer: '127.0.0.1:5000', ...(identity !== undefined ? { identity } : {}) };
}

function status(p: ConnectedProxy): ProxyStatus {
  return {
    connId: p.connId,
    id: p.id,
    metadata: {},
    connectedSince: '1970-01-01T00:00:00.000Z',
    mode: 'sotw',
    peer: p.peer,
    types: [
      { typeUrl: 'c', type: 'cds', status: 'SYNCED', subscribed: '*', resources: 3, sentVersion: 'v1', ackedVersion: 'v1' },
      { typeUrl: 'l', type: 'lds', status: 'NACKED', subscribed: '*', resources: 2, sentVersion: 'v2', ackedVersion: 'v1', nackError: 'listener inbound: bad port' },
    ],
  };
}

describe('proxy view', () => {
  it('shows the proved identity and the newest certificate the CA issued to it', () => {
    const p = conn({ namespace: 'default', serviceAccount: 'reviews' });
    const expiresAt = new Date('2030-01-02T03:04:05.000Z');
    const asked: string[] = [];
    const ca: IssuedLookup = {
      trustDomain: 'example.org',
      lastIssuedTo: (id) => {
        asked.push(`${id.namespace}/${id.serviceAccount}`);
        return { spiffeId: 'spiffe://example.org/ns/default/sa/reviews', serial: 'ab12', issuedAt: new Date('2030-01-01T03:04:05.000Z'), expiresAt };
      },
    };
    const v = proxyView(status(p), p, ca);
    assert.deepEqual(asked, ['default/reviews']);
    assert.equal(v.identity, 'spiffe://example.org/ns/default/sa/reviews');
    assert.deepEqual(v.certificate, { serial: 'ab12', issuedAt: '2030-01-01T03:04:05.000Z', expiresAt: '2030-01-02T03:04:05.000Z' });
    assert.equal(v.status, 'NACKED');
    assert.equal(v.types.LDS?.error, 'listener inbound: bad port');
    assert.equal(v.types.CDS?.status, 'SYNCED');
  });

  it('an identity with no certificate yet has no expiry; a plaintext proxy has neither', () => {
    const p = conn({ namespace: 'default', serviceAccount: 'reviews' });
    const v = proxyView(status(p), p, { trustDomain: 'example.org', lastIssuedTo: () => undefined });
    assert.equal(v.identity, 'spiffe://example.org/ns/default/sa/reviews');
    assert.equal(v.certificate, undefined);
    const plain = conn();
    const pv = proxyView(status(plain), plain, { trustDomain: 'example.org', lastIssuedTo: () => assert.fail('not asked') });
    assert.equal(pv.identity, undefined);
    assert.equal(pv.certificate, undefined);
  });
});

describe('proxyList (another replica\'s proxies)', () => {
  it('takes a list of proxies and refuses anything else, saying what is wrong', () => {
    const ok = [{ id: 'sidecar~10.0.0.5~r1.default~default.svc.cluster.local', namespace: 'default', name: 'r1.default' }];
    assert.deepEqual(proxyList(ok), ok);
    assert.equal(proxyList({ id: 'x' }), 'not a list');
    assert.equal(proxyList([ok[0], null]), 'entry 1 is not a proxy');
    assert.equal(proxyList([{ id: 5, namespace: 'default' }]), 'entry 0 is not a proxy');
    assert.equal(proxyList(new Array(200_001).fill(ok[0])), '200001 proxies, more than 200000');
  });
});
