// Network filters: envoy.filters.network.ext_authz config — a gRPC Authorization service asked once per connection.
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import type { GrpcServiceTarget } from '../../../ext-authz/grpc-client.js';
import { validateGrpcService } from '../../../ext-authz/grpc-service-config.js';

export const NETWORK_EXT_AUTHZ_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.ext_authz.v3.ExtAuthz` as const;

export interface NetworkExtAuthzConfig {
  readonly '@type': typeof NETWORK_EXT_AUTHZ_TYPE;
  readonly stat_prefix: string;
  readonly grpc_service: GrpcServiceTarget;
  /** Service unreachable or failing: let the connection through (counted as failure_mode_allowed). */
  readonly failure_mode_allow: boolean;
  /** Send the SNI in AttributeContext.tls_session. */
  readonly include_tls_session: boolean;
  /** Check as soon as the connection is handed over instead of on its first bytes. */
  readonly check_on_new_connection: boolean;
}

/** A boolean field trellis supports only at its default (false). */
function falseOnly(m: Msg, name: string, why: string): void {
  if (m.bool(name) === true) m.err(name, `${name}: true is not supported by trellis (${why})`);
}

export function validateNetworkExtAuthz(ctx: Ctx, body: Raw, path: string): NetworkExtAuthzConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.network.ext_authz.v3.ExtAuthz',
    // Left out on purpose (rejected by name): filter_enabled_metadata (changes which connections are checked),
    // bootstrap_metadata_labels_key (changes what the service sees), send_tls_alert_on_denial.
    fields: ['stat_prefix', 'grpc_service', 'failure_mode_allow', 'include_peer_certificate', 'transport_api_version', 'include_tls_session', 'check_on_new_connection'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const stat_prefix = m.reqStr('stat_prefix');
  const grpc = m.require('grpc_service') ? m.msg('grpc_service', (r, p) => validateGrpcService(ctx, r, p)) : undefined;
  if (m.enumOr('transport_api_version', ['AUTO', 'V2', 'V3'], 'AUTO') === 'V2') m.err('transport_api_version', 'only V3 (or AUTO) is supported');
  falseOnly(m, 'include_peer_certificate', 'the peer certificate is not kept after the handshake');
  const out = {
    '@type': NETWORK_EXT_AUTHZ_TYPE,
    stat_prefix,
    failure_mode_allow: m.boolOr('failure_mode_allow', false),
    include_tls_session: m.boolOr('include_tls_session', false),
    check_on_new_connection: m.boolOr('check_on_new_connection', false),
  };
  if (grpc === undefined || ctx.errors.length !== before) return undefined;
  return { ...out, grpc_service: grpc };
}
