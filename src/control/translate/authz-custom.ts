// Translate stage: CUSTOM AuthorizationPolicies → Istio's pair of HTTP filters: an rbac filter whose shadow rules mark the
// requests the policies select, then ext_authz (the mesh config's provider) enabled only for those (filter_enabled_metadata).
import type { AuthorizationPolicy } from '../../api/types.js';
import type { ExtAuthzProvider, HeaderPattern } from '../../api/mesh-config.js';
import type { Snapshot } from '../model/types.js';
import { TYPE_PREFIX, type Json } from './generator.js';
import { outboundClusterName } from './names.js';

export const EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
const EXT_AUTHZ_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`;
/** Shadow-rule prefix of the CUSTOM rbac filter; its policy names start with CUSTOM_POLICY_PREFIX. */
export const CUSTOM_STAT_PREFIX = 'istio_ext_authz_';
export const CUSTOM_POLICY_PREFIX = 'istio-ext-authz-';

/** The provider a set of CUSTOM policies uses, or why they cannot be served (then the workload fails closed). */
export function customProvider(policies: readonly AuthorizationPolicy[], snap: Snapshot): { provider: ExtAuthzProvider } | { error: string } {
  const names = [...new Set(policies.map((p) => p.spec.provider?.name ?? ''))];
  if (names.length > 1) return { error: `only one CUSTOM provider may apply to a workload, found ${names.join(', ')}` };
  const name = names[0]!;
  const provider = snap.mesh.extAuthzProviders.find((p) => p.name === name);
  if (provider === undefined) {
    const other = snap.mesh.telemetryProviders.some((p) => p.name === name);
    return { error: other ? `provider "${name}" is not an ext_authz provider` : `provider "${name}" is not defined in the mesh config's extensionProviders` };
  }
  const svc = snap.index.servicesByHost.get(provider.host);
  if (svc === undefined || (provider.namespace !== undefined && svc.namespace !== provider.namespace)) {
    return { error: `provider "${name}": service ${provider.namespace !== undefined ? `${provider.namespace}/` : ''}${provider.host} is not in the service registry` };
  }
  if (!svc.ports.some((p) => p.port === provider.port)) return { error: `provider "${name}": service ${provider.host} has no port ${provider.port}` };
  return { provider };
}

function patterns(list: readonly HeaderPattern[]): Json | undefined {
  if (list.length === 0) return undefined;
  return { patterns: list.map((p) => ({ ...p, ignore_case: true })) };
}

/** The ext_authz filter for `provider`, run only when the CUSTOM rbac filter's shadow rules matched (Istio's wiring). */
export function extAuthzFilter(provider: ExtAuthzProvider): Json {
  const cluster = outboundClusterName(provider.port, '', provider.host);
  const timeout = `${provider.timeoutMs / 1000}s`;
  const cfg: Json = {
    '@type': EXT_AUTHZ_TYPE,
    transport_api_version: 'V3',
    failure_mode_allow: provider.failOpen,
    status_on_error: { code: provider.statusOnError },
    clear_route_cache: provider.clearRouteCache,
    filter_enabled_metadata: {
      filter: 'envoy.filters.http.rbac',
      path: [{ key: `${CUSTOM_STAT_PREFIX}shadow_effective_policy_id` }],
      value: { string_match: { prefix: CUSTOM_POLICY_PREFIX } },
    },
  };
  const body = provider.includeRequestBodyInCheck;
  if (body !== undefined) cfg.with_request_body = { max_request_bytes: body.maxRequestBytes, allow_partial_message: body.allowPartialMessage, pack_as_bytes: body.packAsBytes };
  if (provider.kind === 'grpc') {
    cfg.grpc_service = { envoy_grpc: { cluster_name: cluster, authority: provider.host }, timeout };
    return { name: EXT_AUTHZ_FILTER, typed_config: cfg };
  }
  const request: Json = {};
  const allowed = patterns(provider.includeRequestHeadersInCheck);
  if (allowed !== undefined) request.allowed_headers = allowed;
  const extra = Object.entries(provider.includeAdditionalHeadersInCheck);
  if (extra.length > 0) request.headers_to_add = extra.map(([key, value]) => ({ key, value }));
  const response: Json = {};
  const up = patterns(provider.headersToUpstreamOnAllow);
  if (up !== undefined) response.allowed_upstream_headers = up;
  const deny = patterns(provider.headersToDownstreamOnDeny);
  if (deny !== undefined) response.allowed_client_headers = deny;
  const ok = patterns(provider.headersToDownstreamOnAllow);
  if (ok !== undefined) response.allowed_client_headers_on_success = ok;
  const http: Json = { server_uri: { uri: `http://${provider.host}:${provider.port}`, cluster, timeout }, path_prefix: provider.pathPrefix };
  if (Object.keys(request).length > 0) http.authorization_request = request;
  if (Object.keys(response).length > 0) http.authorization_response = response;
  cfg.http_service = http;
  return { name: EXT_AUTHZ_FILTER, typed_config: cfg };
}
