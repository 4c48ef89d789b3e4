// xDS wire codec: unpacks a resource (a google.protobuf.Any from a discovery response) into proto-JSON — the proxy's decodeResource.
import type { Any, DecodedResource, Json } from '../codec.js';
import { resourceName } from '../resource-name.js';
import { decodeMessage } from './decode.js';
import { wireDescriptor, type WireDescriptor } from './descriptor.js';

/** As codec.ts's decodeResource (same JSON), with the wire descriptor: throws for a type the proxy does not know. */
export function decodeWireResource(any: Any, descriptor: WireDescriptor = wireDescriptor()): DecodedResource {
  const url = any.type_url;
  const m = descriptor.lookup(url.slice(url.lastIndexOf('/') + 1));
  if (m === undefined) throw new Error(`xds: message type ${url} is not loaded`);
  const json: Json = { '@type': url, ...(decodeMessage(descriptor, m, any.value) as Json) };
  return { typeUrl: url, name: resourceName(url, json), json };
}
