// Tests transport_socket_matches selection: first entry whose match is a subset of the host's socket-match metadata,
// else the cluster's transport_socket; Struct values compare as protobuf Values (deep, lists in order).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clusterSockets, sameValue, socketIndexFor } from '../../../src/proxy/upstream/socket-match.js';
import type { TransportSocketMatch } from '../../../src/proxy/config/types.js';
import { lbEndpoint } from './fixtures.js';
import { clusterConfig } from './fixtures.js';
import { socketMatchMetadata } from '../../../src/proxy/upstream/priority-set.js';

const m = (name: string, match: Record<string, unknown>): TransportSocketMatch => ({ name, match });

describe('socketIndexFor', () => {
  const cluster = clusterConfig('c', { transport_socket_matches: [m('istio', { tlsMode: 'istio' }), m('v2', { tlsMode: 'istio', v: 2 }), m('all', {})] });

  it('picks the first entry whose match the metadata contains; {} matches every host, metadata or not', () => {
    assert.equal(socketIndexFor(cluster, { socketMatch: { tlsMode: 'istio', v: 2 } }), 1, 'first match wins even when a later one is more specific');
    assert.equal(socketIndexFor(cluster, { socketMatch: { tlsMode: 'disabled' } }), 3);
    assert.equal(socketIndexFor(cluster, {}), 3);
  });

  it("falls back to the cluster's transport_socket (index 0) when nothing matches or there are no matches", () => {
    const c = clusterConfig('c', { transport_socket_matches: [m('istio', { tlsMode: 'istio' })] });
    assert.equal(socketIndexFor(c, { socketMatch: { tlsMode: 'disabled' } }), 0);
    assert.equal(socketIndexFor(c, {}), 0);
    assert.equal(socketIndexFor(clusterConfig('d'), { socketMatch: { tlsMode: 'istio' } }), 0);
    assert.equal(clusterSockets(c).length, 2);
  });

  it('compares values by kind and content: 1 is not "1", nested structs and lists deep', () => {
    const c = clusterConfig('c', { transport_socket_matches: [m('n', { a: 1, s: { x: [1, 'y'] } })] });
    assert.equal(socketIndexFor(c, { socketMatch: { a: 1, s: { x: [1, 'y'] }, extra: true } }), 1);
    assert.equal(socketIndexFor(c, { socketMatch: { a: '1', s: { x: [1, 'y'] } } }), 0);
    assert.equal(socketIndexFor(c, { socketMatch: { a: 1, s: { x: ['y', 1] } } }), 0);
    assert.equal(socketIndexFor(c, { socketMatch: { a: 1, s: { x: [1, 'y'], z: 0 } } }), 0, 'a nested struct must be equal, not a superset');
  });

  it('reads the metadata from filter_metadata["envoy.transport_socket_match"] of the LbEndpoint only', () => {
    assert.deepEqual(socketMatchMetadata(lbEndpoint('1.1.1.1', 1, { metadata: { filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } } })), { tlsMode: 'istio' });
    assert.equal(socketMatchMetadata(lbEndpoint('1.1.1.1', 1, { metadata: { filter_metadata: { istio: { tlsMode: 'istio' } } } })), undefined);
    assert.equal(socketMatchMetadata(lbEndpoint('1.1.1.1', 1, { metadata: { filter_metadata: { 'envoy.transport_socket_match': 'istio' } } })), undefined);
    assert.equal(socketMatchMetadata(lbEndpoint('1.1.1.1', 1)), undefined);
  });

  it('properties: a host always matches an entry built from a subset of its own metadata; sameValue is an equivalence on JSON', () => {
    const json = fc.jsonValue();
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.array(fc.string()), (md, drop) => {
        const want = Object.fromEntries(Object.entries(md).filter(([k]) => !drop.includes(k)));
        const c = clusterConfig('c', { transport_socket_matches: [m('x', want)] });
        return socketIndexFor(c, { socketMatch: md }) === 1;
      }),
    );
    fc.assert(fc.property(json, (v) => sameValue(v, structuredClone(v))));
    fc.assert(fc.property(json, json, (a, b) => sameValue(a, b) === sameValue(b, a)));
  });
});
