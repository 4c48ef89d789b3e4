// Listener filters: parses a TLS ClientHello from peeked bytes (SNI and ALPN) for tls_inspector.
export type ClientHelloResult =
  | { kind: 'need-more' }
  | { kind: 'not-tls' }
  | { kind: 'too-large' }
  | { kind: 'tls'; sni?: string; alpn: string[] };

/** Envoy's tls_inspector default max_client_hello_size. */
export const MAX_CLIENT_HELLO = 64 * 1024;

const NEED_MORE: ClientHelloResult = { kind: 'need-more' };
const NOT_TLS: ClientHelloResult = { kind: 'not-tls' };

/**
 * Looks at the bytes received so far. A ClientHello may span several handshake records, so the
 * handshake payload is reassembled across records before it is parsed. Malformed hellos count as
 * "not TLS" (Envoy's tls_not_found) and the connection continues as raw_buffer.
 */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  if (buf.length >= 1 && buf[0] !== 0x16) return NOT_TLS; // not a handshake record
  if (buf.length >= 2 && buf[1] !== 0x03) return NOT_TLS; // not SSL3/TLS record version
  const payload: Buffer[] = [];
  let have = 0;
  let need = -1; // handshake message length incl. its 4-byte header, once known
  let off = 0;
  while (need < 0 || have < need) {
    if (buf.length < off + 5) return buf.length > MAX_CLIENT_HELLO ? { kind: 'too-large' } : NEED_MORE;
    if (buf[off] !== 0x16 || buf[off + 1] !== 0x03) return NOT_TLS;
    const len = buf.readUInt16BE(off + 3);
    if (len === 0 || len > 16384 + 2048) return NOT_TLS;
    if (buf.length < off + 5 + len) return off + 5 + len > MAX_CLIENT_HELLO ? { kind: 'too-large' } : NEED_MORE;
    payload.push(buf.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (need < 0 && have >= 4) {
      const hs = payload.length === 1 ? payload[0]! : Buffer.concat(payload);
      if (hs[0] !== 0x01) return NOT_TLS; // first handshake message must be ClientHello
      need = 4 + hs.readUIntBE(1, 3);
      if (need > MAX_CLIENT_HELLO) return { kind: 'too-large' };
    }
  }
  const hs = Buffer.concat(payload).subarray(4, need);
  return parseHelloBody(hs) ?? NOT_TLS;
}

/** Walks the ClientHello body; null when a length field points outside the message. */
function parseHelloBody(b: Buffer): ClientHelloResult | null {
  let p = 2 + 32; // legacy_version + random
  if (b.length < p + 1) return null;
  p += 1 + b[p]!; // session id
  if (b.length < p + 2) return null;
  p += 2 + b.readUInt16BE(p); // cipher suites
  if (b.length < p + 1) return null;
  p += 1 + b[p]!; // compression methods
  if (p > b.length) return null;
  const result: { kind: 'tls'; sni?: string; alpn: string[] } = { kind: 'tls', alpn: [] };
  if (p === b.length) return result; // no extensions
  if (b.length < p + 2) return null;
  const extEnd = p + 2 + b.readUInt16BE(p);
  if (extEnd > b.length) return null;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    const data = b.subarray(p + 4, p + 4 + len);
    if (data.length !== len) return null;
    if (type === 0) result.sni = parseSni(data);
    else if (type === 16) result.alpn = parseAlpn(data);
    p += 4 + len;
  }
  return result;
}

function parseSni(d: Buffer): string | undefined {
  if (d.length < 2) return undefined;
  const end = Math.min(d.length, 2 + d.readUInt16BE(0));
  for (let p = 2; p + 3 <= end; ) {
    const nameType = d[p]!;
    const len = d.readUInt16BE(p + 1);
    if (nameType === 0 && p + 3 + len <= end) return d.toString('ascii', p + 3, p + 3 + len).toLowerCase();
    p += 3 + len;
  }
  return undefined;
}

function parseAlpn(d: Buffer): string[] {
  const out: string[] = [];
  if (d.length < 2) return out;
  const end = Math.min(d.length, 2 + d.readUInt16BE(0));
  for (let p = 2; p < end; ) {
    const len = d[p]!;
    if (p + 1 + len > end) break;
    out.push(d.toString('latin1', p + 1, p + 1 + len));
    p += 1 + len;
  }
  return out;
}
