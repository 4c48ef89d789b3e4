// HTTP filters: envoy.filters.http.grpc_http1_bridge config — upgrade_protobuf_to_grpc and ignore_query_parameters.
import type { HttpFilterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const GRPC_HTTP1_BRIDGE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.grpc_http1_bridge.v3.Config` as const;

export interface GrpcHttp1BridgeConfig extends HttpFilterConfig {
  readonly '@type': typeof GRPC_HTTP1_BRIDGE_TYPE;
  /** application/x-protobuf requests get a gRPC frame and content type; the response's frame header is taken off again. */
  readonly upgrade_protobuf_to_grpc: boolean;
  /** Bridged requests lose their query string (gRPC servers reject unknown paths). */
  readonly ignore_query_parameters: boolean;
}

export function validateGrpcHttp1Bridge(ctx: Ctx, body: Raw, path: string): GrpcHttp1BridgeConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.grpc_http1_bridge.v3.Config',
    fields: ['upgrade_protobuf_to_grpc', 'ignore_query_parameters'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const out: GrpcHttp1BridgeConfig = {
    '@type': GRPC_HTTP1_BRIDGE_TYPE,
    upgrade_protobuf_to_grpc: m.boolOr('upgrade_protobuf_to_grpc', false),
    ignore_query_parameters: m.boolOr('ignore_query_parameters', false),
  };
  return ctx.errors.length === before ? out : undefined;
}
