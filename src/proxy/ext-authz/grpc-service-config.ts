// External authorization (shared): validates the config.core.v3.GrpcService of an ext_authz filter (envoy_grpc only;
// google_grpc and retry_policy are Envoy fields trellis does not implement and are rejected by name).
import { Ctx, Msg } from '../config/reader.js';
import { headerName } from '../config/common.js';
import type { GrpcServiceTarget } from './grpc-client.js';

/** Envoy's default timeout of an ext_authz gRPC check (HTTP and network filters alike). */
export const GRPC_DEFAULT_TIMEOUT_MS = 200;

export function validateGrpcService(ctx: Ctx, raw: unknown, path: string): GrpcServiceTarget | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.GrpcService', fields: ['envoy_grpc', 'timeout', 'initial_metadata'] });
  if (m === undefined) return undefined;
  if (!m.require('envoy_grpc')) return undefined;
  const out: GrpcServiceTarget = { cluster_name: '', timeout: m.dur('timeout') ?? GRPC_DEFAULT_TIMEOUT_MS, initial_metadata: [] };
  const ok = m.msg('envoy_grpc', (r, p) => {
    const e = Msg.open(ctx, r, p, {
      type: 'config.core.v3.GrpcService.EnvoyGrpc',
      fields: ['cluster_name', 'authority', 'max_receive_message_length'],
      // trellis adds no x-envoy-* headers to its own gRPC calls, which is what this asks for
      ignored: ['skip_envoy_headers'],
    });
    if (e === undefined) return undefined;
    out.cluster_name = e.reqStr('cluster_name');
    const a = e.str('authority');
    if (a !== undefined && a !== '') out.authority = a;
    const mr = e.num('max_receive_message_length', { int: true, min: 0, max: 0xffffffff });
    if (mr !== undefined && mr > 0) out.max_receive_message_length = mr;
    return out.cluster_name !== '';
  });
  out.initial_metadata = m.list('initial_metadata', (r, p) => {
    const h = Msg.open(ctx, r, p, { type: 'config.core.v3.HeaderValue', fields: ['key', 'value'] });
    if (h === undefined || !h.require('key')) return undefined;
    const key = headerName(ctx, h.raw('key'), h.at('key'));
    return key === undefined ? undefined : { key, value: h.strOr('value', '') };
  });
  return ok === true ? out : undefined;
}
