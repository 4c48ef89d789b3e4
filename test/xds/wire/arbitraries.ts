// Test helpers: fast-check arbitraries of proto-JSON messages for any type of the wire descriptor (well-known types in their JSON forms).
import fc from 'fast-check';
import type { Scalar } from '../../../src/xds/wire/descriptor-json.js';
import type { WireDescriptor, WireField, WireMessage } from '../../../src/xds/wire/descriptor.js';
import { ROUTER_TYPE } from '../../../src/xds/type-urls.js';

type Json = Record<string, unknown>;

/** How Any fields are given: '@type' JSON (what the control plane's fromJson takes) or packed {type_url, value}. */
export type AnyForm = 'json' | 'raw';

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const UINT32 = { min: 0, max: 2 ** 32 - 1 };
const key = fc.string({ unit: 'grapheme', maxLength: 6 }).filter((k) => k !== '__proto__');

export function scalarArb(t: Scalar): fc.Arbitrary<unknown> {
  switch (t) {
    case 'double':
      return fc.double();
    case 'float':
      return fc.float();
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.integer(INT32);
    case 'uint32':
    case 'fixed32':
      return fc.integer(UINT32);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      // a number while exact, else a decimal string (both forms the JSON codecs take)
      return fc.oneof(fc.integer(INT32), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String));
    case 'uint64':
    case 'fixed64':
      return fc.oneof(fc.integer(UINT32), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 8 });
    case 'bytes':
      return fc.uint8Array({ maxLength: 6 });
  }
}

/** A "__proto__" key anywhere: the protobufjs oracle turns it into a prototype (the wire codec keeps it, see decode.test). */
const hasProtoKey = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && (Object.prototype.hasOwnProperty.call(v, '__proto__') || Object.values(v).some(hasProtoKey));
const json = fc.jsonValue({ maxDepth: 2 }).filter((v) => !hasProtoKey(v));
const WRAPPER = /^google\.protobuf\.(Double|Float|Int64|UInt64|Int32|UInt32|Bool|String|Bytes)Value$/;

/** Arbitraries of messages of one descriptor, cached per type and depth; message fields stop at `maxDepth`. */
export class MessageArbs {
  private readonly cache = new Map<string, fc.Arbitrary<unknown>>();

  constructor(
    private readonly d: WireDescriptor,
    private readonly anyForm: AnyForm,
    private readonly maxDepth = 3,
  ) {}

  message(m: WireMessage, depth = 0): fc.Arbitrary<unknown> {
    const k = `${m.fullName}@${depth}`;
    let a = this.cache.get(k);
    if (a === undefined) {
      a = this.build(m, depth);
      this.cache.set(k, a);
    }
    return a;
  }

  private build(m: WireMessage, depth: number): fc.Arbitrary<unknown> {
    const wk = this.wellKnown(m, depth);
    if (wk !== undefined) return wk;
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of m.fields) {
      const v = this.field(f, depth);
      if (v !== undefined) model[f.name] = v;
    }
    return fc.record(model, { requiredKeys: [] });
  }

  private field(f: WireField, depth: number): fc.Arbitrary<unknown> | undefined {
    const one = this.value(f, depth);
    if (one === undefined) return undefined;
    if (f.map) return fc.dictionary(key, one, { maxKeys: 3 });
    if (f.repeated) return fc.array(one, { maxLength: 3 });
    return one;
  }

  private value(f: WireField, depth: number): fc.Arbitrary<unknown> | undefined {
    if (f.enum !== undefined) return fc.oneof(fc.constantFrom(...f.enum.values.keys()), fc.integer({ min: 0, max: 1000 }));
    if (f.scalar !== undefined) return scalarArb(f.scalar);
    const sub = f.message!;
    if (depth >= this.maxDepth && !sub.fullName.startsWith('google.protobuf.')) return undefined;
    return fc.constant(null).chain(() => this.message(sub, depth + 1));
  }

  private wellKnown(m: WireMessage, depth: number): fc.Arbitrary<unknown> | undefined {
    const n = m.fullName;
    if (WRAPPER.test(n)) return scalarArb(m.byId.get(1)!.scalar!);
    if (n === 'google.protobuf.Duration') {
      return fc.oneof(
        fc.record({ seconds: fc.integer({ min: -1e9, max: 1e9 }), nanos: fc.integer({ min: -999_999_999, max: 999_999_999 }) }),
        fc.tuple(fc.nat(100_000), fc.nat(999)).map(([s, ms]) => `${s}.${String(ms).padStart(3, '0')}s`),
      );
    }
    if (n === 'google.protobuf.Timestamp') return fc.date({ min: new Date(0), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((t) => t.toISOString());
    if (n === 'google.protobuf.Struct') return fc.dictionary(key, json, { maxKeys: 3 });
    if (n === 'google.protobuf.Value') return json;
    if (n === 'google.protobuf.ListValue') return fc.array(json, { maxLength: 3 });
    if (n === 'google.protobuf.Any') return this.any(depth);
    return undefined;
  }

  private any(depth: number): fc.Arbitrary<unknown> {
    const url = (name: string): string => `type.googleapis.com/${name}`;
    const bytes = fc.uint8Array({ maxLength: 8 });
    if (this.anyForm === 'raw') return fc.record({ type_url: fc.constantFrom(ROUTER_TYPE, url('trellis.test.Unknown'), ''), value: bytes });
    const options = this.d.require('envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
    return fc.oneof(
      fc.constant({ '@type': ROUTER_TYPE }),
      bytes.map((b) => ({ '@type': url('trellis.test.Unknown'), '@value': Buffer.from(b).toString('base64') })),
      fc.constant({ '@type': url('google.protobuf.Duration'), value: '2.5s' }),
      fc.dictionary(key, json, { maxKeys: 2 }).map((s) => ({ '@type': url('google.protobuf.Struct'), value: s })),
      ...(depth < this.maxDepth ? [this.message(options, depth + 1).map((o) => ({ '@type': url(options.fullName), ...(o as Json) }))] : []),
    );
  }
}
