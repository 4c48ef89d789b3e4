// xDS transport: packs a resource (proto-JSON with '@type') into a google.protobuf.Any and back.
import { fromJson, toJson, XdsCodecError, type Json } from './proto-json.js';
import { requireType } from './protos.js';
import { resourceName } from './resource-name.js';

export { XdsCodecError } from './proto-json.js';
export type { Json } from './proto-json.js';
export { resourceName } from './resource-name.js';

/** google.protobuf.Any as it travels inside DiscoveryResponse. */
export interface Any {
  type_url: string;
  value: Uint8Array;
}

export interface DecodedResource {
  typeUrl: string;
  name: string;
  /** The resource in proto field names, '@type' at the top, nested typed_config as objects with '@type'. */
  json: Json;
}

/**
 * Encodes `json` (snake_case or camelCase field names; Durations as {seconds, nanos} or "1.5s"; enums by
 * name; Any fields as objects with '@type') as a message of `typeUrl`. Throws XdsCodecError on anything
 * the proto does not have. Map keys are written sorted, so equal inputs give equal bytes.
 */
export function encodeResource(typeUrl: string, json: Json): Any {
  const declared = json['@type'];
  if (declared !== undefined && declared !== typeUrl) {
    throw new XdsCodecError('@type', `resource says ${String(declared)} but is encoded as ${typeUrl}`);
  }
  const type = requireType(typeUrl);
  return { type_url: typeUrl, value: type.encode(fromJson(type, json)).finish() };
}

export function decodeResource(any: Any): DecodedResource {
  const type = requireType(any.type_url);
  const body = toJson(type, type.decode(any.value) as unknown as Record<string, unknown>) as Json;
  const json: Json = { '@type': any.type_url, ...body };
  return { typeUrl: any.type_url, name: resourceName(any.type_url, json), json };
}
