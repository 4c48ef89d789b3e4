// xDS transport: the AggregatedDiscoveryService gRPC definition and its four wire messages, built from the shared Root.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { fromJson, toJson, type Json } from './proto-json.js';
import { requireType } from './protos.js';
import type { Any } from './codec.js';

export interface XdsLocality {
  region?: string;
  zone?: string;
  sub_zone?: string;
}

/** envoy.config.core.v3.Node, metadata as plain JSON. */
export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: Json;
  locality?: XdsLocality;
  user_agent_name?: string;
  user_agent_version?: string;
  client_features?: string[];
}

export interface RpcStatus {
  code?: number;
  message?: string;
}

export interface DiscoveryRequest {
  version_info?: string;
  node?: XdsNode;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: RpcStatus;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: Any[];
  type_url: string;
  nonce: string;
  control_plane?: { identifier: string };
}

export interface DeltaDiscoveryRequest {
  node?: XdsNode;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: RpcStatus;
}

export interface DeltaResource {
  name: string;
  version: string;
  resource?: Any;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: DeltaResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
  control_plane?: { identifier: string };
}

const PKG = 'envoy.service.discovery.v3';
const SERVICE = `${PKG}.AggregatedDiscoveryService`;

/** Encoder/decoder pair for one wire message; Any fields stay packed ({type_url, value}). */
function codec<T extends object>(name: string): { encode(v: T): Buffer; decode(b: Buffer): T } {
  const type = requireType(`${PKG}.${name}`);
  return {
    encode: (v: T): Buffer => {
      // already encoded (the control plane's framed responses, joined, when they go through grpc-js' call)
      if (Buffer.isBuffer(v)) return v;
      const w = type.encode(fromJson(type, v as Json)).finish();
      return Buffer.from(w.buffer, w.byteOffset, w.byteLength);
    },
    decode: (b: Buffer): T => toJson(type, type.decode(b) as unknown as Json, 'raw') as T,
  };
}

function method<Req extends object, Res extends object>(rpc: string, req: string, res: string, service = SERVICE): MethodDefinition<Req, Res> {
  const rq = codec<Req>(req);
  const rs = codec<Res>(res);
  return {
    path: `/${service}/${rpc}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: rq.encode,
    requestDeserialize: rq.decode,
    responseSerialize: rs.encode,
    responseDeserialize: rs.decode,
  };
}

export interface AdsServiceDefinition extends ServiceDefinition {
  StreamAggregatedResources: MethodDefinition<DiscoveryRequest, DiscoveryResponse>;
  DeltaAggregatedResources: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

let def: AdsServiceDefinition | undefined;

/** The ADS service for grpc.Server#addService and grpc.makeGenericClientConstructor (client and server share it). */
export function adsServiceDefinition(): AdsServiceDefinition {
  def ??= {
    StreamAggregatedResources: method<DiscoveryRequest, DiscoveryResponse>('StreamAggregatedResources', 'DiscoveryRequest', 'DiscoveryResponse'),
    DeltaAggregatedResources: method<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(
      'DeltaAggregatedResources',
      'DeltaDiscoveryRequest',
      'DeltaDiscoveryResponse',
    ),
  };
  return def;
}

export interface TypeServiceMethods {
  sotw: MethodDefinition<DiscoveryRequest, DiscoveryResponse>;
  delta: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

const typeServices = new Map<string, TypeServiceMethods>();

/**
 * LDS or CDS on a stream of its own (envoy.service.listener.v3.ListenerDiscoveryService / cluster.v3.ClusterDiscoveryService):
 * the same four messages as ADS under another path.
 */
export function typeServiceMethods(kind: 'listener' | 'cluster'): TypeServiceMethods {
  let m = typeServices.get(kind);
  if (m === undefined) {
    const service = kind === 'listener' ? 'envoy.service.listener.v3.ListenerDiscoveryService' : 'envoy.service.cluster.v3.ClusterDiscoveryService';
    const plural = kind === 'listener' ? 'Listeners' : 'Clusters';
    m = {
      sotw: method<DiscoveryRequest, DiscoveryResponse>(`Stream${plural}`, 'DiscoveryRequest', 'DiscoveryResponse', service),
      delta: method<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(`Delta${plural}`, 'DeltaDiscoveryRequest', 'DeltaDiscoveryResponse', service),
    };
    typeServices.set(kind, m);
  }
  return m;
}
