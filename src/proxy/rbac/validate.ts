// RBAC config stage: validates envoy.config.rbac.v3.RBAC (policies, permissions, principals); fields trellis
// does not implement (CEL conditions, matcher extensions, filter_state, audit logging) are rejected by name.
import { Ctx, Msg, isObj, jsonName } from '../config/reader.js';
import { validateHeaderMatcher, validateStringMatcher } from '../config/matchers.js';
import { validateCidr } from '../config/common.js';
import type { MetadataMatcher, RbacAction, RbacConfig, RbacPermission, RbacPolicy, RbacPrincipal } from './types.js';
import {
  tooDeep,
  validateAnyTrue,
  validateMetadataMatcher,
  validatePathMatcher,
  validatePort,
  validatePortRange,
} from './validate-matchers.js';

const ACTIONS: readonly RbacAction[] = ['ALLOW', 'DENY', 'LOG'];

/** Whether `raw` sets any of these fields (snake or JSON name): then a missing oneof was already reported by name. */
function setsAny(raw: unknown, names: readonly string[]): boolean {
  if (!isObj(raw)) return false;
  return names.some((n) => raw[n] != null || raw[jsonName(n)] != null);
}

/** A required oneof whose unimplemented members Msg.open has already rejected by name. */
function pickOneof<T extends string>(m: Msg, raw: unknown, implemented: readonly T[], unimplemented: readonly string[]): T | undefined {
  const which = m.oneof(implemented, false) as T | undefined;
  if (which === undefined && !setsAny(raw, unimplemented)) m.ctx.err(m.path, `one of ${implemented.join(', ')} is required`);
  return which;
}

/** A non-empty repeated field (validate.rules min_items: 1), each item validated. */
function nonEmpty<T>(m: Msg, name: string, fn: (raw: unknown, path: string) => T | undefined): T[] | undefined {
  const raw = m.raw(name);
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
    m.err(name, 'needs at least one entry');
    return undefined;
  }
  const out = m.list(name, fn);
  return Array.isArray(raw) && out.length === raw.length ? out : undefined;
}

/** sourced_metadata: trellis keeps no route metadata, so only the DYNAMIC source is accepted. */
function validateSourcedMetadata(ctx: Ctx, raw: unknown, path: string): MetadataMatcher | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.rbac.v3.SourcedMetadata', fields: ['metadata_matcher', 'metadata_source'] });
  if (m === undefined) return undefined;
  const source = m.enumOr('metadata_source', ['DYNAMIC', 'ROUTE'], 'DYNAMIC');
  if (source === 'ROUTE') m.err('metadata_source', 'ROUTE is not supported by trellis (route metadata is not kept); use DYNAMIC');
  if (!m.require('metadata_matcher')) return undefined;
  const mm = m.msg('metadata_matcher', (r, p) => validateMetadataMatcher(ctx, r, p));
  return source === 'ROUTE' ? undefined : mm;
}

const PERMISSION_RULES = [
  'and_rules',
  'or_rules',
  'any',
  'header',
  'url_path',
  'destination_ip',
  'destination_port',
  'destination_port_range',
  'metadata',
  'sourced_metadata',
  'not_rule',
  'requested_server_name',
] as const;
const PERMISSION_UNIMPLEMENTED = ['matcher', 'uri_template'];

export function validatePermission(ctx: Ctx, raw: unknown, path: string, depth = 0): RbacPermission | undefined {
  if (tooDeep(ctx, path, depth)) return undefined;
  const m = Msg.open(ctx, raw, path, { type: 'config.rbac.v3.Permission', fields: PERMISSION_RULES });
  if (m === undefined) return undefined;
  const which = pickOneof(m, raw, PERMISSION_RULES, PERMISSION_UNIMPLEMENTED);
  const sub = (r: unknown, p: string): RbacPermission | undefined => validatePermission(ctx, r, p, depth + 1);
  switch (which) {
    case 'and_rules':
    case 'or_rules': {
      const set = Msg.open(ctx, m.raw(which), m.at(which), { type: 'config.rbac.v3.Permission.Set', fields: ['rules'] });
      const rules = set === undefined ? undefined : nonEmpty(set, 'rules', sub);
      if (rules === undefined) return undefined;
      return which === 'and_rules' ? { and_rules: { rules } } : { or_rules: { rules } };
    }
    case 'any':
      return validateAnyTrue(ctx, m.raw('any'), m.at('any')) === undefined ? undefined : { any: true };
    case 'header': {
      const h = m.msg('header', (r, p) => validateHeaderMatcher(ctx, r, p));
      return h === undefined ? undefined : { header: h };
    }
    case 'url_path': {
      const u = m.msg('url_path', (r, p) => validatePathMatcher(ctx, r, p));
      return u === undefined ? undefined : { url_path: u };
    }
    case 'destination_ip': {
      const before = ctx.errors.length;
      const c = m.msg('destination_ip', (r, p) => validateCidr(ctx, r, p));
      return c === undefined || ctx.errors.length !== before ? undefined : { destination_ip: c };
    }
    case 'destination_port': {
      const port = validatePort(ctx, m.raw('destination_port'), m.at('destination_port'));
      return port === undefined ? undefined : { destination_port: port };
    }
    case 'destination_port_range': {
      const r = m.msg('destination_port_range', (rr, p) => validatePortRange(ctx, rr, p));
      return r === undefined ? undefined : { destination_port_range: r };
    }
    case 'metadata': {
      const mm = m.msg('metadata', (r, p) => validateMetadataMatcher(ctx, r, p));
      return mm === undefined ? undefined : { metadata: mm };
    }
    case 'sourced_metadata': {
      const mm = m.msg('sourced_metadata', (r, p) => validateSourcedMetadata(ctx, r, p));
      return mm === undefined ? undefined : { metadata: mm };
    }
    case 'not_rule': {
      const inner = m.msg('not_rule', sub);
      return inner === undefined ? undefined : { not_rule: inner };
    }
    case 'requested_server_name': {
      const s = m.msg('requested_server_name', (r, p) => validateStringMatcher(ctx, r, p));
      return s === undefined ? undefined : { requested_server_name: s };
    }
    default:
      return undefined;
  }
}

const PRINCIPAL_IDS = [
  'and_ids',
  'or_ids',
  'any',
  'authenticated',
  'source_ip',
  'direct_remote_ip',
  'remote_ip',
  'header',
  'url_path',
  'metadata',
  'sourced_metadata',
  'not_id',
] as const;
const PRINCIPAL_UNIMPLEMENTED = ['filter_state', 'custom'];

export function validatePrincipal(ctx: Ctx, raw: unknown, path: string, depth = 0): RbacPrincipal | undefined {
  if (tooDeep(ctx, path, depth)) return undefined;
  const m = Msg.open(ctx, raw, path, { type: 'config.rbac.v3.Principal', fields: PRINCIPAL_IDS });
  if (m === undefined) return undefined;
  const which = pickOneof(m, raw, PRINCIPAL_IDS, PRINCIPAL_UNIMPLEMENTED);
  const sub = (r: unknown, p: string): RbacPrincipal | undefined => validatePrincipal(ctx, r, p, depth + 1);
  switch (which) {
    case 'and_ids':
    case 'or_ids': {
      const set = Msg.open(ctx, m.raw(which), m.at(which), { type: 'config.rbac.v3.Principal.Set', fields: ['ids'] });
      const ids = set === undefined ? undefined : nonEmpty(set, 'ids', sub);
      if (ids === undefined) return undefined;
      return which === 'and_ids' ? { and_ids: { ids } } : { or_ids: { ids } };
    }
    case 'any':
      return validateAnyTrue(ctx, m.raw('any'), m.at('any')) === undefined ? undefined : { any: true };
    case 'authenticated': {
      const a = Msg.open(ctx, m.raw('authenticated'), m.at('authenticated'), { type: 'config.rbac.v3.Principal.Authenticated', fields: ['principal_name'] });
      if (a === undefined) return undefined;
      if (!a.has('principal_name')) return { authenticated: {} };
      const name = a.msg('principal_name', (r, p) => validateStringMatcher(ctx, r, p));
      return name === undefined ? undefined : { authenticated: { principal_name: name } };
    }
    case 'source_ip':
    case 'direct_remote_ip':
    case 'remote_ip': {
      const before = ctx.errors.length;
      const c = m.msg(which, (r, p) => validateCidr(ctx, r, p));
      if (c === undefined || ctx.errors.length !== before) return undefined;
      return which === 'source_ip' ? { source_ip: c } : which === 'direct_remote_ip' ? { direct_remote_ip: c } : { remote_ip: c };
    }
    case 'header': {
      const h = m.msg('header', (r, p) => validateHeaderMatcher(ctx, r, p));
      return h === undefined ? undefined : { header: h };
    }
    case 'url_path': {
      const u = m.msg('url_path', (r, p) => validatePathMatcher(ctx, r, p));
      return u === undefined ? undefined : { url_path: u };
    }
    case 'metadata': {
      const mm = m.msg('metadata', (r, p) => validateMetadataMatcher(ctx, r, p));
      return mm === undefined ? undefined : { metadata: mm };
    }
    case 'sourced_metadata': {
      const mm = m.msg('sourced_metadata', (r, p) => validateSourcedMetadata(ctx, r, p));
      return mm === undefined ? undefined : { metadata: mm };
    }
    case 'not_id': {
      const inner = m.msg('not_id', sub);
      return inner === undefined ? undefined : { not_id: inner };
    }
    default:
      return undefined;
  }
}

function validatePolicy(ctx: Ctx, raw: unknown, path: string): RbacPolicy | undefined {
  // condition / checked_condition / cel_config (CEL) are left out of `fields`: rejected by name
  const m = Msg.open(ctx, raw, path, { type: 'config.rbac.v3.Policy', fields: ['permissions', 'principals'] });
  if (m === undefined) return undefined;
  const permissions = nonEmpty(m, 'permissions', (r, p) => validatePermission(ctx, r, p));
  const principals = nonEmpty(m, 'principals', (r, p) => validatePrincipal(ctx, r, p));
  return permissions === undefined || principals === undefined ? undefined : { permissions, principals };
}

/** envoy.config.rbac.v3.RBAC; undefined after any error in it. */
export function validateRbac(ctx: Ctx, raw: unknown, path: string): RbacConfig | undefined {
  // audit_logging_options is left out: audit loggers are not implemented, and dropping them silently would lose audit records
  const m = Msg.open(ctx, raw, path, { type: 'config.rbac.v3.RBAC', fields: ['action', 'policies'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const action = m.enumOr('action', ACTIONS, 'ALLOW');
  const policies = m.map('policies', (_name, r, p) => validatePolicy(ctx, r, p));
  return ctx.errors.length !== before ? undefined : { action, policies };
}
