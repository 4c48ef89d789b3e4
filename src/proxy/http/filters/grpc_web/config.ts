// HTTP filters: envoy.filters.http.grpc_web config — GrpcWeb has no fields.
import type { HttpFilterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const GRPC_WEB_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.grpc_web.v3.GrpcWeb` as const;

export interface GrpcWebConfig extends HttpFilterConfig {
  readonly '@type': typeof GRPC_WEB_TYPE;
}

export function validateGrpcWeb(ctx: Ctx, body: Raw, path: string): GrpcWebConfig | undefined {
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.http.grpc_web.v3.GrpcWeb', fields: [] });
  return m === undefined ? undefined : { '@type': GRPC_WEB_TYPE };
}
