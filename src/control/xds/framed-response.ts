// Serving: DiscoveryResponse and DeltaDiscoveryResponse encoded as framed gRPC messages in chunks — the envelope's own
// fields, and one chunk per resource shared by every response that carries that resource. Streams that synced at
// different snapshots get different responses; in chunks those still share the bytes of every resource they have in
// common (a 3 MB EDS answer per snapshot becomes a list of references), and nothing is copied per response.
import type { Any } from '../../xds/codec.js';

/** A gRPC message (5-byte prefix, then the protobuf) as the chunks it is written in; `size` counts all of them. */
export interface FramedResponse {
  readonly chunks: readonly Buffer[];
  readonly size: number;
}

export interface SotwFields {
  version_info: string;
  resources: readonly Any[];
  type_url: string;
  nonce: string;
  identifier: string;
}

export interface DeltaFields {
  system_version_info: string;
  resources: readonly { name: string; version: string; resource: Any }[];
  type_url: string;
  removed_resources: readonly string[];
  nonce: string;
  identifier: string;
}

// Field tags (field number << 3 | 2, length-delimited) of envoy.service.discovery.v3 and google.protobuf.Any.
const SOTW = { version_info: 0x0a, resources: 0x12, type_url: 0x22, nonce: 0x2a, control_plane: 0x32 };
const DELTA = { system_version_info: 0x0a, resources: 0x12, type_url: 0x22, nonce: 0x2a, removed_resources: 0x32, control_plane: 0x3a };
const RESOURCE = { version: 0x0a, resource: 0x12, name: 0x1a };
const ANY = { type_url: 0x0a, value: 0x12 };
const CONTROL_PLANE_IDENTIFIER = 0x0a;

/** A DiscoveryResponse: header (prefix, version_info), one chunk per Any, trailer (type_url, nonce, control_plane). */
export function framedSotw(f: SotwFields): FramedResponse {
  const head = new Fields().string(SOTW.version_info, f.version_info);
  const tail = new Fields().string(SOTW.type_url, f.type_url).string(SOTW.nonce, f.nonce).message(SOTW.control_plane, new Fields().string(CONTROL_PLANE_IDENTIFIER, f.identifier));
  return assemble(head, f.resources.map(sotwEntry), tail);
}

/** A DeltaDiscoveryResponse: header (prefix, system_version_info), one chunk per resource, trailer (the rest). */
export function framedDelta(f: DeltaFields): FramedResponse {
  const head = new Fields().string(DELTA.system_version_info, f.system_version_info);
  const tail = new Fields().string(DELTA.type_url, f.type_url).string(DELTA.nonce, f.nonce);
  for (const name of f.removed_resources) tail.string(DELTA.removed_resources, name, true);
  tail.message(DELTA.control_plane, new Fields().string(CONTROL_PLANE_IDENTIFIER, f.identifier));
  return assemble(head, f.resources.map((r) => deltaEntry(r.name, r.version, r.resource)), tail);
}

/** The whole message in one buffer (for a path that cannot write chunks). */
export function joined(r: FramedResponse): Buffer {
  return r.chunks.length === 1 ? r.chunks[0]! : Buffer.concat(r.chunks as Buffer[], r.size);
}

function assemble(head: Fields, entries: Buffer[], tail: Fields): FramedResponse {
  let bodySize = head.size + tail.size;
  for (const e of entries) bodySize += e.length;
  const first = Buffer.allocUnsafe(5 + head.size);
  first[0] = 0;
  first.writeUInt32BE(bodySize, 1);
  head.writeTo(first, 5);
  return { chunks: [first, ...entries, tail.toBuffer()], size: 5 + bodySize };
}

const sotwEntries = new WeakMap<Any, Buffer>();

/** `resources` entry of a DiscoveryResponse: the Any, encoded once per Any object. */
function sotwEntry(any: Any): Buffer {
  let e = sotwEntries.get(any);
  if (e === undefined) sotwEntries.set(any, (e = new Fields().message(SOTW.resources, anyFields(any)).toBuffer()));
  return e;
}

const deltaEntries = new WeakMap<Any, { name: string; version: string; entry: Buffer }>();

/** `resources` entry of a DeltaDiscoveryResponse (a Resource: version, the Any, name), encoded once per Any and name. */
function deltaEntry(name: string, version: string, any: Any): Buffer {
  const hit = deltaEntries.get(any);
  if (hit !== undefined && hit.name === name && hit.version === version) return hit.entry;
  const resource = new Fields().string(RESOURCE.version, version).message(RESOURCE.resource, anyFields(any)).string(RESOURCE.name, name);
  const entry = new Fields().message(DELTA.resources, resource).toBuffer();
  deltaEntries.set(any, { name, version, entry });
  return entry;
}

function anyFields(any: Any): Fields {
  return new Fields().string(ANY.type_url, any.type_url).bytes(ANY.value, any.value);
}

/** Length-delimited protobuf fields, sized before they are written (proto3: empty values are left out). */
class Fields {
  private readonly parts: ((buf: Buffer, at: number) => number)[] = [];
  size = 0;

  string(tag: number, s: string, keepEmpty = false): this {
    if (s === '' && !keepEmpty) return this;
    const n = Buffer.byteLength(s, 'utf8');
    return this.field(tag, n, (buf, at) => at + buf.write(s, at, 'utf8'));
  }

  bytes(tag: number, b: Uint8Array): this {
    if (b.length === 0) return this;
    return this.field(tag, b.length, (buf, at) => {
      buf.set(b, at);
      return at + b.length;
    });
  }

  message(tag: number, m: Fields): this {
    return this.field(tag, m.size, (buf, at) => m.writeTo(buf, at));
  }

  writeTo(buf: Buffer, at: number): number {
    for (const p of this.parts) at = p(buf, at);
    return at;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.size);
    this.writeTo(buf, 0);
    return buf;
  }

  private field(tag: number, length: number, body: (buf: Buffer, at: number) => number): this {
    this.size += 1 + varintSize(length) + length;
    this.parts.push((buf, at) => {
      buf[at++] = tag;
      return body(buf, writeVarint(buf, at, length));
    });
    return this;
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}
