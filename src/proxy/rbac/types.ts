// RBAC config stage: validated envoy.config.rbac.v3.RBAC — policies of permissions and principals, one oneof field each.
import type { CidrRange, HeaderMatcher, StringMatcher } from '../config/types.js';

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

/** envoy.config.rbac.v3.RBAC. `policies` is evaluated in lexicographic order of name, as Envoy's std::map. */
export interface RbacConfig {
  action: RbacAction;
  policies: Record<string, RbacPolicy>;
}

/** Matches iff some permission AND some principal match. */
export interface RbacPolicy {
  permissions: RbacPermission[];
  principals: RbacPrincipal[];
}

/** type.matcher.v3.PathMatcher: the path without query and fragment. */
export interface PathMatcher {
  path: StringMatcher;
}

/** type.v3.Int32Range / DoubleRange: [start, end). */
export interface NumberRange {
  start: number;
  end: number;
}

/** type.matcher.v3.DoubleMatcher. */
export type DoubleMatcher = { range: NumberRange } | { exact: number };

/** type.matcher.v3.ValueMatcher: one match_pattern. */
export type ValueMatcher =
  | { null_match: Record<string, never> }
  | { double_match: DoubleMatcher }
  | { string_match: StringMatcher }
  | { bool_match: boolean }
  | { present_match: boolean }
  | { list_match: { one_of: ValueMatcher } }
  | { or_match: { value_matchers: ValueMatcher[] } };

/** type.matcher.v3.MetadataMatcher: the value at `filter` then `path` keys, matched by `value`, the result xor `invert`. */
export interface MetadataMatcher {
  filter: string;
  path: { key: string }[];
  value: ValueMatcher;
  invert: boolean;
}

/** envoy.config.rbac.v3.Permission: exactly one rule. */
export type RbacPermission =
  | { and_rules: { rules: RbacPermission[] } }
  | { or_rules: { rules: RbacPermission[] } }
  | { any: true }
  | { header: HeaderMatcher }
  | { url_path: PathMatcher }
  | { destination_ip: CidrRange }
  | { destination_port: number }
  | { destination_port_range: NumberRange }
  /** Both `metadata` and `sourced_metadata` (source DYNAMIC, the only one trellis keeps). */
  | { metadata: MetadataMatcher }
  | { not_rule: RbacPermission }
  | { requested_server_name: StringMatcher };

/** envoy.config.rbac.v3.Principal: exactly one identifier. */
export type RbacPrincipal =
  | { and_ids: { ids: RbacPrincipal[] } }
  | { or_ids: { ids: RbacPrincipal[] } }
  | { any: true }
  /** No principal_name: any TLS peer. */
  | { authenticated: { principal_name?: StringMatcher } }
  | { source_ip: CidrRange }
  | { direct_remote_ip: CidrRange }
  | { remote_ip: CidrRange }
  | { header: HeaderMatcher }
  | { url_path: PathMatcher }
  | { metadata: MetadataMatcher }
  | { not_id: RbacPrincipal };
