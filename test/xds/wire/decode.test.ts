// Tests the proxy's wire decoder: the same proto-JSON as the control plane's protobufjs codec (fixtures, every descriptor type by property, every scalar type), and hostile input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { decodeResource, encodeResource } from '../../../src/xds/codec.js';
import { fromJson, toJson } from '../../../src/xds/proto-json.js';
import { requireType } from '../../../src/xds/protos.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/xds/type-urls.js';
import { decodeMessage } from '../../../src/xds/wire/decode.js';
import { encodeMessage } from '../../../src/xds/wire/encode.js';
import { wireDescriptor } from '../../../src/xds/wire/descriptor.js';
import { WireError } from '../../../src/xds/wire/reader.js';
import { decodeWireResource } from '../../../src/xds/wire/resource.js';
import { outboundListener, reviewsCluster, reviewsEndpoints, reviewsRoute } from '../fixtures.js';
import { MessageArbs } from './arbitraries.js';
import { ALL_SCALARS, scalarsDescriptor, scalarsRoot } from './scalars-root.js';

type Json = Record<string, unknown>;
const d = wireDescriptor();
const MESSAGE_NAMES = d.messageNames();

/** What the control plane's codec makes of these bytes: protobufjs decode, then proto-json's toJson. */
function protobufjsJson(type: protobuf.Type, bytes: Uint8Array): unknown {
  return toJson(type, type.decode(bytes) as unknown as Json);
}

/** Equal values and equal key order (deepStrictEqual ignores the order; the JSON text does not). */
function assertSameJson(got: unknown, want: unknown): void {
  assert.deepStrictEqual(got, want);
  assert.equal(JSON.stringify(got), JSON.stringify(want));
}

function protobufjsBytes(type: protobuf.Type, json: unknown): Uint8Array {
  return type.encode(fromJson(type, json)).finish();
}

describe('wire decode', () => {
  it('decodes the Istio-shaped fixtures to exactly what the protobufjs codec gives (fields, values and key order)', () => {
    for (const [url, json] of [
      [LISTENER_TYPE, outboundListener()],
      [CLUSTER_TYPE, reviewsCluster()],
      [ENDPOINT_TYPE, reviewsEndpoints()],
      [ROUTE_TYPE, reviewsRoute()],
    ] as const) {
      const any = encodeResource(url, json);
      const want = decodeResource(any);
      assertSameJson(decodeWireResource(any), want);
    }
  });

  it('decodes any message of any descriptor type as the protobufjs codec does (property)', () => {
    const arbs = new MessageArbs(d, 'json');
    const sample = fc.constantFrom(...MESSAGE_NAMES).chain((name) => arbs.message(d.require(name)).map((json) => ({ name, json })));
    fc.assert(
      fc.property(sample, ({ name, json }) => {
        const type = requireType(name);
        const bytes = protobufjsBytes(type, json);
        assertSameJson(decodeMessage(d, d.require(name), bytes), protobufjsJson(type, bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('reads every scalar type, packed and unpacked lists, maps, enums and oneofs as protobufjs does (property)', () => {
    const root = scalarsRoot();
    const type = root.lookupType(ALL_SCALARS);
    const sd = scalarsDescriptor(root);
    const m = sd.require(ALL_SCALARS);
    fc.assert(
      fc.property(new MessageArbs(sd, 'json', 2).message(m), (json) => {
        const bytes = protobufjsBytes(type, json);
        assertSameJson(decodeMessage(sd, m, bytes), protobufjsJson(type, bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an Any of an unknown type opaque and leaves Anys packed in raw mode', () => {
    const any = encodeResource(CLUSTER_TYPE, {
      name: 'c',
      typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/trellis.test.Unknown', '@value': Buffer.from([1, 2, 3]).toString('base64') } },
    });
    const json = decodeWireResource(any).json as { typed_extension_protocol_options: Json };
    assert.deepEqual(json.typed_extension_protocol_options.x, { '@type': 'type.googleapis.com/trellis.test.Unknown', '@value': 'AQID' });
    const res = requireType('envoy.service.discovery.v3.DiscoveryResponse');
    const bytes = protobufjsBytes(res, { version_info: '1', resources: [{ type_url: any.type_url, value: any.value }], type_url: CLUSTER_TYPE, nonce: 'n' });
    const raw = decodeMessage(d, d.require(res.fullName.slice(1)), bytes, 'raw') as { resources: { type_url: string; value: Uint8Array }[] };
    assert.equal(raw.resources[0]!.type_url, CLUSTER_TYPE);
    assert.deepEqual(Buffer.from(raw.resources[0]!.value), Buffer.from(any.value));
  });

  it('writes 64-bit integers past 2^53 as decimal strings and smaller ones as numbers', () => {
    const type = requireType('google.protobuf.UInt64Value');
    for (const [v, want] of [
      ['18446744073709551615', '18446744073709551615'],
      ['9007199254740993', '9007199254740993'],
      ['9007199254740991', 9007199254740991],
      [5, 5],
    ] as const) {
      assert.equal(decodeMessage(d, d.require('google.protobuf.UInt64Value'), protobufjsBytes(type, v)), want);
    }
  });

  it('sorts map and Struct keys whatever their order on the wire (another control plane may not sort them)', () => {
    const delta = requireType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
    // Type.encode straight from an object keeps its key order (fromJson would sort)
    const bytes = delta.encode({ initial_resource_versions: { b: '2', a: '1' }, node: { metadata: { fields: { z: { stringValue: 'z' }, y: { boolValue: true } } } } }).finish();
    const out = decodeMessage(d, d.require('envoy.service.discovery.v3.DeltaDiscoveryRequest'), bytes) as { initial_resource_versions: Json; node: { metadata: Json } };
    assert.deepEqual(Object.keys(out.initial_resource_versions), ['a', 'b']);
    assert.deepEqual(Object.keys(out.node.metadata), ['y', 'z']);
  });

  it('keeps a "__proto__" key as an own key of a Struct, not as a prototype', () => {
    // protobufjs' fromJson would itself lose the key (it assigns it); the wire encoder writes every own key
    const struct = d.require('google.protobuf.Struct');
    const out = decodeMessage(d, struct, encodeMessage(struct, JSON.parse('{"__proto__": {"polluted": true}}'))) as Json;
    assert.ok(Object.prototype.hasOwnProperty.call(out, '__proto__'));
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal((out as { polluted?: unknown }).polluted, undefined);
  });

  it('skips fields it does not know (a newer control plane), whatever their wire type', () => {
    const cla = d.require('envoy.config.endpoint.v3.ClusterLoadAssignment');
    // field 99 varint, 98 fixed64, 97 bytes, 96 a group with a varint inside, 95 fixed32; then cluster_name = "x"
    const bytes = Buffer.from([0x98, 0x06, 0x96, 0x01, 0x91, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x8a, 0x06, 2, 0xaa, 0xbb, 0x83, 0x06, 0x08, 1, 0x84, 0x06, 0xfd, 0x05, 1, 2, 3, 4, 0x0a, 1, 0x78]);
    assert.deepEqual(decodeMessage(d, cla, bytes), { cluster_name: 'x' });
  });
});

describe('wire decode of hostile input', () => {
  const cla = d.require('envoy.config.endpoint.v3.ClusterLoadAssignment');

  it('refuses truncated messages, bad wire types and over-long varints with a WireError', () => {
    assert.throws(() => decodeMessage(d, cla, Buffer.from([0x0a, 5, 0x61])), WireError); // string longer than the message
    assert.throws(() => decodeMessage(d, cla, Buffer.from([0x08, 1])), WireError); // cluster_name as a varint
    assert.throws(() => decodeMessage(d, cla, Buffer.from([0x0f])), WireError); // wire type 7
    assert.throws(() => decodeMessage(d, cla, Buffer.from([0x98, 0x06, ...new Array<number>(11).fill(0xff), 1])), WireError);
  });

  it('refuses a length that runs past the enclosing message', () => {
    // endpoints (2) of 2 bytes holding a locality (1) that claims 5
    assert.throws(() => decodeMessage(d, cla, Buffer.from([0x12, 0x02, 0x0a, 0x05, 0, 0, 0, 0, 0])), WireError);
  });

  it('refuses nesting deeper than 100 (Struct in Struct, Any in Any) instead of exhausting the stack', () => {
    // both encoders refuse such depth too, so the bytes are put together here
    const delimited = (tag: number, body: Uint8Array): Uint8Array => {
      const len: number[] = [];
      for (let n = body.length; ; n >>>= 7) {
        if (n < 0x80) {
          len.push(n);
          break;
        }
        len.push((n & 0x7f) | 0x80);
      }
      return Buffer.concat([Buffer.from([tag, ...len]), body]);
    };
    let struct: Uint8Array = new Uint8Array(0);
    // Struct{fields: {"a": Value{struct_value: <struct>}}}
    for (let i = 0; i < 150; i++) struct = delimited(0x0a, Buffer.concat([delimited(0x0a, Buffer.from('a')), delimited(0x12, delimited(0x2a, struct))]));
    assert.throws(() => decodeMessage(d, d.require('google.protobuf.Struct'), struct), WireError);
    const url = Buffer.from('type.googleapis.com/google.protobuf.Any');
    let any: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 150; i++) any = Buffer.concat([delimited(0x0a, url), delimited(0x12, any)]);
    assert.throws(() => decodeMessage(d, d.require('google.protobuf.Any'), any), WireError);
  });

  it('on arbitrary bytes either decodes or throws a WireError (or a RangeError for an impossible Timestamp), for any type (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MESSAGE_NAMES), fc.uint8Array({ maxLength: 64 }), (name, bytes) => {
        try {
          decodeMessage(d, d.require(name), bytes);
        } catch (e) {
          assert.ok(e instanceof WireError || e instanceof RangeError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
