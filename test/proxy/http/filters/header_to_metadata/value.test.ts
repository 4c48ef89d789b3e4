// Proxy HTTP filters: header_to_metadata's value decoding — strict base64, numbers as absl::SimpleAtod reads them,
// and serialized google.protobuf.Value, checked against protobufjs' encoder and with fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { decodeBase64, metadataValue, parseNumber } from '../../../../../src/proxy/http/filters/header_to_metadata/value.js';
import { decodeProtobufValue, type JsonValue } from '../../../../../src/proxy/http/filters/header_to_metadata/protobuf-value.js';

// google.protobuf.Value from protobufjs' bundled descriptor, to produce real serialized bytes
const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto')!);
const ValueType = root.lookupType('google.protobuf.Value');

/** JSON -> the protobufjs object form of google.protobuf.Value. */
function toPb(v: JsonValue): object {
  if (v === null) return { nullValue: 0 };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toPb) } };
  return { structValue: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPb(x)])) } };
}
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
function encode(v: JsonValue): Buffer {
  return Buffer.from(ValueType.encode(ValueType.fromObject(toPb(v))).finish());
}

test('base64: with or without padding; bad characters or lengths decode to nothing', () => {
  assert.equal(decodeBase64('aGVsbG8=')?.toString(), 'hello');
  assert.equal(decodeBase64('aGVsbG8')?.toString(), 'hello');
  assert.equal(decodeBase64('aGk')?.toString(), 'hi');
  assert.equal(decodeBase64('a'), undefined);
  assert.equal(decodeBase64('aGk*'), undefined);
  assert.equal(decodeBase64('aG=k'), undefined);
  assert.equal(decodeBase64('aGk=='), undefined, 'padding past the final quantum');
  assert.equal(decodeBase64(''), undefined);
});

test('base64 (property): decodes what Buffer encodes, padded or not', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
      const b64 = Buffer.from(bytes).toString('base64');
      assert.deepEqual(decodeBase64(b64), Buffer.from(bytes));
      assert.deepEqual(decodeBase64(b64.replace(/=+$/, '')), Buffer.from(bytes));
    }),
  );
});

test('numbers: trimmed decimal and exponent forms; hex, empty and trailing junk are not numbers', () => {
  assert.equal(parseNumber(' 42 '), 42);
  assert.equal(parseNumber('-1.5e3'), -1500);
  assert.equal(parseNumber('.5'), 0.5);
  assert.equal(parseNumber('5.'), 5);
  for (const bad of ['', ' ', '0x10', '1_000', '12abc', 'Infinity', 'nan', '1e999']) assert.equal(parseNumber(bad), undefined, bad);
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => assert.equal(parseNumber(String(n)), n === 0 ? 0 : n)));
});

test('metadataValue: STRING / NUMBER / PROTOBUF_VALUE with NONE or BASE64; too long or undecodable adds nothing', () => {
  assert.equal(metadataValue('gold', 'STRING', 'NONE'), 'gold');
  assert.equal(metadataValue(Buffer.from('grün').toString('base64'), 'STRING', 'BASE64'), 'grün');
  assert.equal(metadataValue('7', 'NUMBER', 'NONE'), 7);
  assert.equal(metadataValue(Buffer.from('2.5').toString('base64'), 'NUMBER', 'BASE64'), 2.5);
  assert.deepEqual(metadataValue(encode({ a: [1, 'x', true, null] }).toString('base64'), 'PROTOBUF_VALUE', 'BASE64'), { a: [1, 'x', true, null] });
  assert.equal(metadataValue('%%%', 'STRING', 'BASE64'), undefined);
  assert.equal(metadataValue('x'.repeat(8192), 'STRING', 'NONE'), undefined);
  assert.equal(metadataValue('x'.repeat(8191), 'STRING', 'NONE'), 'x'.repeat(8191));
});

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.double({ noNaN: true }),
    fc.string(),
    fc.boolean(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value as fc.Arbitrary<JsonValue>;

test('protobuf Value (property): decodes what protobufjs encodes', () => {
  fc.assert(fc.property(jsonValue, (v) => assert.deepEqual(decodeProtobufValue(encode(v)), v)));
});

test('protobuf Value: truncated, mistyped, invalid UTF-8 or too deeply nested input gives undefined; arbitrary bytes never throw', () => {
  const ok = encode({ k: 'v' });
  assert.equal(decodeProtobufValue(ok.subarray(0, ok.length - 1)), undefined);
  assert.equal(decodeProtobufValue(Buffer.from([0x1a, 0x02, 0xc3, 0x28])), undefined, 'string_value with invalid UTF-8');
  assert.equal(decodeProtobufValue(Buffer.from([0x10, 0x01])), undefined, 'number_value as a varint');
  assert.equal(decodeProtobufValue(Buffer.alloc(0)), null, 'no kind set reads as null');
  // Value{list_value{values: [<inner>]}} by hand (protobufjs refuses to build this much nesting itself)
  const wrap = (inner: Buffer): Buffer => {
    const list = Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
    return Buffer.concat([Buffer.from([0x32]), varint(list.length), list]);
  };
  let deep = encode('x');
  for (let i = 0; i < 49; i++) deep = wrap(deep); // 99 nested messages (each wrap is a Value and a ListValue)
  assert.notEqual(decodeProtobufValue(deep), undefined, 'within protobuf\'s recursion limit of 100');
  for (let i = 0; i < 10; i++) deep = wrap(deep);
  assert.equal(decodeProtobufValue(deep), undefined, 'past protobuf\'s recursion limit');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => void decodeProtobufValue(Buffer.from(bytes))));
});
