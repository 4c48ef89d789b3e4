// HTTP filters: header_to_metadata's value conversion — BASE64 decoding and STRING / NUMBER / PROTOBUF_VALUE typing,
// each failure meaning "add nothing", as in Envoy.
import { decodeProtobufValue, type JsonValue } from './protobuf-value.js';

/** Envoy's MAX_HEADER_VALUE_LEN: a longer value is not stored. */
export const MAX_VALUE_LENGTH = 8 * 1024;

const B64 = /^[A-Za-z0-9+/]*$/;

/** Base64 with or without padding; undefined for anything else (bad characters, impossible length) or empty output. */
export function decodeBase64(s: string): Buffer | undefined {
  let body = s;
  if (body.endsWith('==')) body = body.slice(0, -2);
  else if (body.endsWith('=')) body = body.slice(0, -1);
  if (!B64.test(body) || body.length % 4 === 1) return undefined;
  if (s.length !== body.length && s.length % 4 !== 0) return undefined; // padding only on a whole final quantum
  const out = Buffer.from(body, 'base64');
  return out.length === 0 ? undefined : out;
}

// absl::SimpleAtod on the trimmed value: a decimal or exponent form (hex and inf/nan have no JSON number)
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseNumber(s: string): number | undefined {
  const t = s.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The metadata value for a (non-empty) header value, or undefined when Envoy would add nothing. */
export function metadataValue(value: string, type: 'STRING' | 'NUMBER' | 'PROTOBUF_VALUE', encode: 'NONE' | 'BASE64'): JsonValue | undefined {
  if (value.length >= MAX_VALUE_LENGTH) return undefined;
  // header values are bytes: latin1 keeps each one as it came
  let bytes: Buffer | undefined;
  if (encode === 'BASE64') {
    bytes = decodeBase64(value);
    if (bytes === undefined) return undefined;
  }
  switch (type) {
    case 'STRING':
      return bytes === undefined ? value : bytes.toString('utf8');
    case 'NUMBER':
      return parseNumber(bytes === undefined ? value : bytes.toString('latin1'));
    default:
      return decodeProtobufValue(bytes ?? Buffer.from(value, 'latin1'));
  }
}
