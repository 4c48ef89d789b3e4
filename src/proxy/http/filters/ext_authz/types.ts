// HTTP filters: envoy.filters.http.ext_authz config model — the validated ExtAuthz and ExtAuthzPerRoute messages.
import type { HeaderValueOption, HttpFilterConfig, Millis, RuntimeFractionalPercent, StringMatcher } from '../../../config/types.js';
import { TYPE_PREFIX } from '../../../config/reader.js';
import type { MetadataMatcher } from '../../../rbac/types.js';
import type { GrpcServiceTarget } from '../../../ext-authz/grpc-client.js';

export const EXT_AUTHZ_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.ext_authz.v3.ExtAuthz` as const;
export const EXT_AUTHZ_PER_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute` as const;

/** BufferSettings: hold the request body (up to max_request_bytes) and send it with the check. */
export interface BufferSettings {
  max_request_bytes: number;
  allow_partial_message: boolean;
  /** gRPC only: the body goes in raw_body (bytes) instead of body (string). */
  pack_as_bytes: boolean;
}

/** HttpService: the check is a plain HTTP request to server_uri.cluster. */
export interface HttpAuthzService {
  kind: 'http';
  server_uri: { uri: string; cluster: string; timeout: Millis };
  path_prefix: string;
  /** authorization_request.headers_to_add: set on the check request (OVERWRITE_IF_EXISTS_OR_ADD). */
  headers_to_add: HeaderValueOption[];
  /** authorization_request.allowed_headers (deprecated location of ExtAuthz.allowed_headers). */
  allowed_headers?: StringMatcher[];
  allowed_upstream_headers?: StringMatcher[];
  allowed_upstream_headers_to_append?: StringMatcher[];
  allowed_client_headers?: StringMatcher[];
  allowed_client_headers_on_success?: StringMatcher[];
  dynamic_metadata_from_headers?: StringMatcher[];
}

/** GrpcService with envoy_grpc: envoy.service.auth.v3.Authorization/Check over HTTP/2. */
export interface GrpcAuthzService extends GrpcServiceTarget {
  kind: 'grpc';
}

export interface ExtAuthzConfig extends HttpFilterConfig {
  readonly '@type': typeof EXT_AUTHZ_TYPE;
  service: HttpAuthzService | GrpcAuthzService;
  failure_mode_allow: boolean;
  failure_mode_allow_header_add: boolean;
  with_request_body?: BufferSettings;
  clear_route_cache: boolean;
  /** status_on_error.code, default 403. */
  status_on_error: number;
  validate_mutations: boolean;
  metadata_context_namespaces: string[];
  /** Only default_value is read until trellis has a runtime layer; runtime_key is kept for later. */
  filter_enabled?: RuntimeFractionalPercent;
  /** Checked only when the request's dynamic metadata matches (Istio's CUSTOM policies set it from an rbac shadow rule). */
  filter_enabled_metadata?: MetadataMatcher;
  deny_at_disable?: { default_value: boolean; runtime_key: string };
  stat_prefix: string;
  allowed_headers?: StringMatcher[];
  disallowed_headers?: StringMatcher[];
  include_tls_session: boolean;
  enable_dynamic_metadata_ingestion: boolean;
  /** 0 = no truncation. */
  max_denied_response_body_bytes: number;
}

export interface CheckSettings {
  context_extensions: Record<string, string>;
  disable_request_body_buffering: boolean;
  with_request_body?: BufferSettings;
}

export interface ExtAuthzPerRoute extends HttpFilterConfig {
  readonly '@type': typeof EXT_AUTHZ_PER_ROUTE_TYPE;
  disabled: boolean;
  check_settings?: CheckSettings;
}
