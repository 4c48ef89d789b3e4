// Tests the proxy's wire encoder: byte for byte what the control plane's protobufjs codec writes (every descriptor type and every scalar type by property), and its refusals.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type protobuf from 'protobufjs';
import { fromJson } from '../../../src/xds/proto-json.js';
import { requireType } from '../../../src/xds/protos.js';
import { wireDescriptor } from '../../../src/xds/wire/descriptor.js';
import { encodeMessage } from '../../../src/xds/wire/encode.js';
import { WireError } from '../../../src/xds/wire/reader.js';
import { adsServiceDefinition } from '../../../src/xds/ads-service.js';
import { adsMethods } from '../../../src/proxy/xds/ads-methods.js';
import { MessageArbs } from './arbitraries.js';
import { ALL_SCALARS, scalarsDescriptor, scalarsRoot } from './scalars-root.js';

const d = wireDescriptor();

function protobufjsBytes(type: protobuf.Type, json: unknown): Buffer {
  return Buffer.from(type.encode(fromJson(type, json)).finish());
}

describe('wire encode', () => {
  it('writes any message of any descriptor type byte for byte as the protobufjs codec does (property)', () => {
    const arbs = new MessageArbs(d, 'raw');
    const sample = fc.constantFrom(...d.messageNames()).chain((name) => arbs.message(d.require(name)).map((json) => ({ name, json })));
    fc.assert(
      fc.property(sample, ({ name, json }) => {
        assert.deepEqual(Buffer.from(encodeMessage(d.require(name), json)), protobufjsBytes(requireType(name), json));
      }),
      { numRuns: 400 },
    );
  });

  it('writes every scalar type, packed and unpacked lists, maps, enums and oneofs as protobufjs does (property)', () => {
    const root = scalarsRoot();
    const type = root.lookupType(ALL_SCALARS);
    const sd = scalarsDescriptor(root);
    const m = sd.require(ALL_SCALARS);
    fc.assert(
      fc.property(new MessageArbs(sd, 'raw', 2).message(m), (json) => {
        assert.deepEqual(Buffer.from(encodeMessage(m, json)), protobufjsBytes(type, json));
      }),
      { numRuns: 300 },
    );
  });

  it('serializes the ADS requests as the control plane would, and reads its responses back', () => {
    const node = { id: 'sidecar~10.0.0.1~a-1.default~default.svc.cluster.local', cluster: 'a', metadata: { LABELS: { app: 'a' }, N: 2, L: [1, null, 'x'] }, user_agent_name: 'trellis', user_agent_version: '' };
    const req = { version_info: '3', node, resource_names: ['x', 'y'], type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', response_nonce: '7', error_detail: { code: 3, message: 'no' } };
    const server = adsServiceDefinition();
    const proxy = adsMethods();
    assert.deepEqual(proxy.sotw.serialize(req), server.StreamAggregatedResources.requestSerialize(req));
    const delta = { node, type_url: 't', resource_names_subscribe: ['a'], initial_resource_versions: { b: '2', a: '1' } };
    assert.deepEqual(proxy.delta.serialize(delta), server.DeltaAggregatedResources.requestSerialize(delta));
    const res = { version_info: '1', resources: [{ type_url: 't', value: Buffer.from([8, 1]) }], type_url: 't', nonce: 'n' };
    const bytes = server.StreamAggregatedResources.responseSerialize(res);
    assert.deepEqual(proxy.sotw.deserialize(bytes), server.StreamAggregatedResources.responseDeserialize(bytes));
  });

  it('refuses unknown fields, unknown enum names, wrong value types and Anys in their JSON form, naming the path', () => {
    const req = d.require('envoy.service.discovery.v3.DiscoveryRequest');
    assert.throws(() => encodeMessage(req, { node: { idd: 'x' } }), (e: Error) => e instanceof WireError && /node\.idd: unknown field "idd"/.test(e.message));
    assert.throws(() => encodeMessage(req, { resource_names: 'x' }), (e: Error) => e instanceof WireError && /resource_names: expected a list/.test(e.message));
    assert.throws(() => encodeMessage(req, { error_detail: { code: 'three' } }), (e: Error) => e instanceof WireError && /error_detail\.code: expected int32/.test(e.message));
    const cluster = d.require('envoy.config.cluster.v3.Cluster');
    assert.throws(() => encodeMessage(cluster, { lb_policy: 'FASTEST' }), (e: Error) => e instanceof WireError && /unknown envoy\.config\.cluster\.v3\.Cluster\.LbPolicy value "FASTEST"/.test(e.message));
    assert.throws(() => encodeMessage(cluster, { typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/x.Y' } } }), WireError);
  });
});
