// Telemetry: Istio's TCP metadata exchange frame — what each sidecar writes first on a connection whose ALPN is
// istio-peer-exchange: magic 0x3D230467 and a length (both big-endian u32), then a google.protobuf.Any holding a
// Struct with the node metadata under x-envoy-peer-metadata and the node id under x-envoy-peer-metadata-id.
import { decodeStruct, encodeStruct, STRUCT_LIMITS, type Struct } from './peer-struct.js';
import { localPeerMetadata, PEER_METADATA_HEADER, PEER_METADATA_ID_HEADER, peerFromStruct, UNKNOWN, type PeerInfo } from './peer-info.js';

export const EXCHANGE_MAGIC = 0x3d230467;
export const EXCHANGE_PREFIX_BYTES = 8;
const STRUCT_TYPE_URL = 'type.googleapis.com/google.protobuf.Struct';
/** The largest frame body accepted: a Struct at its cap plus the Any's type URL and tags. */
export const MAX_EXCHANGE_BODY = STRUCT_LIMITS.maxBytes + 128;

function varint(out: number[], v: number): void {
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

function lenField(field: number, bytes: Uint8Array): Buffer {
  const head: number[] = [];
  varint(head, (field << 3) | 2);
  varint(head, bytes.length);
  return Buffer.concat([Buffer.from(head), bytes]);
}

/** The frame a proxy sends: its exchanged node metadata and id (built once per proxy). */
export function encodeExchangeFrame(metadata: Struct, id: string): Buffer {
  const body: Struct = { [PEER_METADATA_HEADER]: metadata };
  if (id !== '') body[PEER_METADATA_ID_HEADER] = id;
  const any = Buffer.concat([lenField(1, Buffer.from(STRUCT_TYPE_URL)), lenField(2, encodeStruct(body))]);
  const prefix = Buffer.alloc(EXCHANGE_PREFIX_BYTES);
  prefix.writeUInt32BE(EXCHANGE_MAGIC, 0);
  prefix.writeUInt32BE(any.length, 4);
  return Buffer.concat([prefix, any]);
}

/** The Any's value bytes when its type is Struct; throws on anything malformed. */
function anyStructValue(buf: Buffer): Buffer {
  let pos = 0;
  let typeUrl = '';
  let value: Buffer | undefined;
  const readVarint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    throw new Error('varint too long');
  };
  while (pos < buf.length) {
    const tag = readVarint();
    if ((tag & 7) !== 2) throw new Error('unexpected wire type in Any');
    const len = readVarint();
    if (len > buf.length - pos) throw new Error('length past end');
    const bytes = buf.subarray(pos, pos + len);
    pos += len;
    if (tag >>> 3 === 1) typeUrl = bytes.toString('utf8');
    else if (tag >>> 3 === 2) value = bytes;
  }
  if (typeUrl !== STRUCT_TYPE_URL || value === undefined) throw new Error('not a Struct');
  return value;
}

/** The peer a frame body names; undefined when it is not a Struct with the exchange keys. */
export function decodeExchangeBody(body: Buffer): PeerInfo | undefined {
  try {
    const s = decodeStruct(anyStructValue(body));
    const md = s[PEER_METADATA_HEADER];
    if (md === null || typeof md !== 'object' || Array.isArray(md)) return undefined;
    const id = s[PEER_METADATA_ID_HEADER];
    return peerFromStruct(md, typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : UNKNOWN);
  } catch {
    return undefined;
  }
}

/**
 * What a reader made of the first bytes of a connection: still waiting, the peer (with the bytes after the frame),
 * or not a frame at all (every byte it held goes on unchanged, as Istio's filter leaves them).
 */
export type ExchangeRead =
  | { readonly state: 'more' }
  | { readonly state: 'done'; readonly peer: PeerInfo | undefined; readonly rest: Buffer }
  | { readonly state: 'invalid'; readonly rest: Buffer };

/** Reads one exchange frame from a byte stream, holding at most one frame's bytes. */
export class ExchangeReader {
  private held: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): ExchangeRead {
    this.held.push(chunk);
    this.size += chunk.length;
    if (this.size < EXCHANGE_PREFIX_BYTES) return { state: 'more' };
    const all = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    this.held = [all];
    const bodyLen = all.readUInt32BE(4);
    if (all.readUInt32BE(0) !== EXCHANGE_MAGIC || bodyLen > MAX_EXCHANGE_BODY) return this.finish({ state: 'invalid', rest: all });
    const end = EXCHANGE_PREFIX_BYTES + bodyLen;
    if (all.length < end) return { state: 'more' };
    const peer = decodeExchangeBody(all.subarray(EXCHANGE_PREFIX_BYTES, end));
    return this.finish({ state: 'done', peer, rest: all.subarray(end) });
  }

  /** The bytes held when the stream ended before a whole frame: they go on unchanged. */
  flush(): Buffer {
    const all = Buffer.concat(this.held);
    this.held = [];
    this.size = 0;
    return all;
  }

  private finish(r: ExchangeRead): ExchangeRead {
    this.held = [];
    this.size = 0;
    return r;
  }
}

let frame: { for: object; bytes: Buffer } | undefined;

/** This proxy's frame, encoded once per node metadata; undefined before the bootstrap set it. */
export function localExchangeFrame(): Buffer | undefined {
  const own = localPeerMetadata();
  if (own === undefined) return undefined;
  if (frame?.for !== own) frame = { for: own, bytes: encodeExchangeFrame(own.shared, own.id) };
  return frame.bytes;
}
