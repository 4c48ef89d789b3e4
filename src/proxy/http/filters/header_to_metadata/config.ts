// HTTP filters: envoy.filters.http.header_to_metadata config — Config (filter and per-route) validated once with
// Envoy's rule checks, every error with its path.
import type { HttpFilterConfig, RegexRewrite } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { headerName } from '../../../config/common.js';
import { validateRegexRewrite } from '../../../config/matchers.js';

export const HEADER_TO_METADATA_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.header_to_metadata.v3.Config` as const;
/** The namespace a KeyValuePair without metadata_namespace writes to. */
export const DEFAULT_NAMESPACE = 'envoy.filters.http.header_to_metadata';

export interface KeyValuePair {
  metadata_namespace: string;
  key: string;
  /** Non-empty: used instead of the header's value. */
  value: string;
  regex_value_rewrite?: RegexRewrite;
  type: 'STRING' | 'NUMBER' | 'PROTOBUF_VALUE';
  encode: 'NONE' | 'BASE64';
}

export interface MetadataRule {
  /** Exactly one of header (lower case) and cookie. */
  header?: string;
  cookie?: string;
  on_header_present?: KeyValuePair;
  on_header_missing?: KeyValuePair;
  /** Remove the header after reading it (not for cookies). */
  remove: boolean;
}

export interface HeaderToMetadataConfig extends HttpFilterConfig {
  readonly '@type': typeof HEADER_TO_METADATA_TYPE;
  request_rules: MetadataRule[];
  response_rules: MetadataRule[];
}

const T = 'extensions.filters.http.header_to_metadata.v3.Config';

function validatePair(ctx: Ctx, raw: unknown, path: string): KeyValuePair | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${T}.KeyValuePair`, fields: ['metadata_namespace', 'key', 'value', 'regex_value_rewrite', 'type', 'encode'] });
  if (m === undefined) return undefined;
  const out: KeyValuePair = {
    metadata_namespace: m.strOr('metadata_namespace', ''),
    key: m.reqStr('key'),
    value: m.strOr('value', ''),
    type: m.enumOr('type', ['STRING', 'NUMBER', 'PROTOBUF_VALUE'], 'STRING'),
    encode: m.enumOr('encode', ['NONE', 'BASE64'], 'NONE'),
  };
  const rr = m.msg('regex_value_rewrite', (r, p) => validateRegexRewrite(ctx, r, p));
  if (rr !== undefined) out.regex_value_rewrite = rr;
  return out;
}

function validateRule(ctx: Ctx, raw: unknown, path: string): MetadataRule | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${T}.Rule`, fields: ['header', 'cookie', 'on_header_present', 'on_header_missing', 'remove'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const out: MetadataRule = { remove: m.boolOr('remove', false) };
  const h = m.has('header') && m.raw('header') !== '' ? headerName(ctx, m.raw('header'), m.at('header')) : undefined;
  const c = m.has('cookie') && m.raw('cookie') !== '' ? headerName(ctx, m.raw('cookie'), m.at('cookie')) : undefined;
  if (h !== undefined && h !== '' && c !== undefined && c !== '') m.err('cookie', 'only one of header and cookie may be set');
  else if ((h ?? '') === '' && (c ?? '') === '' && ctx.errors.length === before) m.err('header', 'one of header and cookie is required');
  if (h !== undefined && h !== '') out.header = h;
  else if (c !== undefined && c !== '') {
    // cookie names keep their case
    out.cookie = m.str('cookie')!;
    if (out.remove) m.err('remove', 'cannot be used with a cookie rule');
  }
  const present = m.msg('on_header_present', (r, p) => validatePair(ctx, r, p));
  const missing = m.msg('on_header_missing', (r, p) => validatePair(ctx, r, p));
  if (!m.has('on_header_present') && !m.has('on_header_missing')) m.err('on_header_present', 'a rule needs on_header_present or on_header_missing');
  if (present !== undefined) {
    if (present.value !== '' && present.regex_value_rewrite !== undefined) m.err('on_header_present.regex_value_rewrite', 'cannot be set together with value');
    out.on_header_present = present;
  }
  if (missing !== undefined) {
    if (missing.value === '') m.err('on_header_missing.value', 'must be set: there is no header value to use');
    out.on_header_missing = missing;
  }
  return ctx.errors.length === before ? out : undefined;
}

function validate(ctx: Ctx, body: Raw, path: string, perRoute: boolean): HeaderToMetadataConfig | undefined {
  const m = Msg.open(ctx, body, path, { type: T, fields: ['request_rules', 'response_rules'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const out: HeaderToMetadataConfig = {
    '@type': HEADER_TO_METADATA_TYPE,
    request_rules: m.list('request_rules', (r, p) => validateRule(ctx, r, p)),
    response_rules: m.list('response_rules', (r, p) => validateRule(ctx, r, p)),
  };
  if (perRoute && ctx.errors.length === before && out.request_rules.length === 0 && out.response_rules.length === 0) {
    ctx.err(path, 'a per-route config must have request_rules or response_rules');
  }
  return ctx.errors.length === before ? out : undefined;
}

export function validateHeaderToMetadata(ctx: Ctx, body: Raw, path: string): HeaderToMetadataConfig | undefined {
  return validate(ctx, body, path, false);
}

export function validateHeaderToMetadataPerRoute(ctx: Ctx, body: Raw, path: string): HeaderToMetadataConfig | undefined {
  return validate(ctx, body, path, true);
}
