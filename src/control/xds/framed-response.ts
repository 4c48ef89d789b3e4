// Serving: DiscoveryResponse and DeltaDiscoveryResponse encoded as framed gRPC messages in chunks — the envelope's own
// fields, and one chunk per resource shared by every response that carries that resource. Streams that synced at
// different snapshots get different responses; in chunks those still share the bytes of every resource they have in
// common (a 3 MB EDS answer per snapshot becomes a list of references), and nothing is copied per response.
import type { Any } from '../../xds/codec.js';
import { WireWriter } from '../../xds/wire/writer.js';

/** A gRPC message (5-byte prefix, then the protobuf) as the chunks it is written in; `size` counts all of them. */
export interface FramedResponse {
  readonly chunks: readonly Uint8Array[];
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

// Field numbers of envoy.service.discovery.v3's responses and google.protobuf.Any (all length-delimited here).
const SOTW = { version_info: 1, resources: 2, type_url: 4, nonce: 5, control_plane: 6 };
const DELTA = { system_version_info: 1, resources: 2, type_url: 4, nonce: 5, removed_resources: 6, control_plane: 7 };
const RESOURCE = { version: 1, resource: 2, name: 3 };
const ANY = { type_url: 1, value: 2 };
const CONTROL_PLANE_IDENTIFIER = 1;
const LENGTH_DELIMITED = 2;

/** A DiscoveryResponse: header (prefix, version_info), one chunk per Any, trailer (type_url, nonce, control_plane). */
export function framedSotw(f: SotwFields): FramedResponse {
  const head = new WireWriter();
  field(head, SOTW.version_info, f.version_info);
  const tail = new WireWriter();
  field(tail, SOTW.type_url, f.type_url);
  field(tail, SOTW.nonce, f.nonce);
  field(tail, SOTW.control_plane, controlPlane(f.identifier), true);
  return assemble(head.finish(), f.resources.map(sotwEntry), tail.finishOwned());
}

/** A DeltaDiscoveryResponse: header (prefix, system_version_info), one chunk per resource, trailer (the rest). */
export function framedDelta(f: DeltaFields): FramedResponse {
  const head = new WireWriter();
  field(head, DELTA.system_version_info, f.system_version_info);
  const tail = new WireWriter();
  field(tail, DELTA.type_url, f.type_url);
  field(tail, DELTA.nonce, f.nonce);
  for (const name of f.removed_resources) field(tail, DELTA.removed_resources, name, true);
  field(tail, DELTA.control_plane, controlPlane(f.identifier), true);
  return assemble(head.finish(), f.resources.map((r) => deltaEntry(r.name, r.version, r.resource)), tail.finishOwned());
}

/** The whole message in one buffer (for a path that cannot write chunks). */
export function joined(r: FramedResponse): Buffer {
  return Buffer.concat(r.chunks, r.size);
}

function assemble(head: Uint8Array, entries: Uint8Array[], tail: Uint8Array): FramedResponse {
  let bodySize = head.length + tail.length;
  for (const e of entries) bodySize += e.length;
  // responses are cached and shared: their own memory, not pool slabs (see ownedBytes)
  const first = Buffer.allocUnsafeSlow(5 + head.length);
  first[0] = 0; // not compressed
  first.writeUInt32BE(bodySize, 1);
  first.set(head, 5);
  return { chunks: [first, ...entries, tail], size: 5 + bodySize };
}

const sotwEntries = new WeakMap<Any, Uint8Array>();

/** `resources` entry of a DiscoveryResponse: the Any, encoded once per Any object. */
function sotwEntry(any: Any): Uint8Array {
  let e = sotwEntries.get(any);
  if (e === undefined) {
    const w = new WireWriter();
    field(w, SOTW.resources, anyBytes(any), true);
    sotwEntries.set(any, (e = w.finishOwned()));
  }
  return e;
}

const deltaEntries = new WeakMap<Any, { name: string; version: string; entry: Uint8Array }>();

/** `resources` entry of a DeltaDiscoveryResponse (a Resource: version, the Any, name), encoded once per Any and name. */
function deltaEntry(name: string, version: string, any: Any): Uint8Array {
  const hit = deltaEntries.get(any);
  if (hit !== undefined && hit.name === name && hit.version === version) return hit.entry;
  const resource = new WireWriter();
  field(resource, RESOURCE.version, version);
  field(resource, RESOURCE.resource, anyBytes(any), true);
  field(resource, RESOURCE.name, name);
  const w = new WireWriter();
  field(w, DELTA.resources, resource.finish(), true);
  const entry = w.finishOwned();
  deltaEntries.set(any, { name, version, entry });
  return entry;
}

function anyBytes(any: Any): Uint8Array {
  const w = new WireWriter();
  field(w, ANY.type_url, any.type_url);
  field(w, ANY.value, any.value);
  return w.finish();
}

function controlPlane(identifier: string): Uint8Array {
  const w = new WireWriter();
  field(w, CONTROL_PLANE_IDENTIFIER, identifier);
  return w.finish();
}

/** A length-delimited field; an empty value is left out (proto3) unless `keep` (a repeated element, a message). */
function field(w: WireWriter, id: number, v: string | Uint8Array, keep = false): void {
  if (v.length === 0 && !keep) return;
  w.tag(id, LENGTH_DELIMITED);
  if (typeof v === 'string') w.string(v);
  else w.bytes(v);
}
