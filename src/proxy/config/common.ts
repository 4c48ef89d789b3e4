// Config stage: validators for Envoy's core building blocks (addresses, headers, data sources, percentages, node).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type {
  Address,
  CidrRange,
  HeaderAppendAction,
  HeaderValueOption,
  Locality,
  Node,
  RuntimeFractionalPercent,
} from './types.js';
import { Ctx, Msg, describe, readEnum, readNum } from './reader.js';

export function validateSocketAddress(ctx: Ctx, raw: unknown, path: string): Address['socket_address'] | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.SocketAddress',
    fields: ['protocol', 'address', 'port_value', 'resolver_name'],
  });
  if (m === undefined) return undefined;
  const address = m.reqStr('address');
  if (!m.has('port_value')) m.err('port_value', 'is required');
  const port = m.port('port_value') ?? 0;
  const out: Address['socket_address'] = {
    protocol: m.enumOr('protocol', ['TCP', 'UDP'], 'TCP'),
    address,
    port_value: port,
  };
  const resolver = m.str('resolver_name');
  if (resolver !== undefined) out.resolver_name = resolver;
  return out;
}

export function validateAddress(ctx: Ctx, raw: unknown, path: string): Address | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.Address', fields: ['socket_address'] });
  if (m === undefined) return undefined;
  if (!m.require('socket_address')) return undefined;
  const sa = m.msg('socket_address', (r, p) => validateSocketAddress(ctx, r, p));
  return sa === undefined ? undefined : { socket_address: sa };
}

/** A ConfigSource of an xDS subscription (RDS, VHDS): structure only, the xDS client resolves it; only ADS is implemented. */
export function validateAdsConfigSource(ctx: Ctx, raw: unknown, path: string): 'ads' | undefined {
  const c = Msg.open(ctx, raw, path, { type: 'config.core.v3.ConfigSource', fields: ['ads', 'resource_api_version'], ignored: ['initial_fetch_timeout'] });
  if (c === undefined) return undefined;
  c.enumOr('resource_api_version', ['V3'], 'V3');
  if (!c.has('ads')) {
    ctx.err(path, 'only config_source {ads: {}} is supported by trellis');
    return undefined;
  }
  return 'ads';
}

export function validateLocality(ctx: Ctx, raw: unknown, path: string): Locality | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.Locality', fields: ['region', 'zone', 'sub_zone'] });
  if (m === undefined) return undefined;
  return { region: m.strOr('region', ''), zone: m.strOr('zone', ''), sub_zone: m.strOr('sub_zone', '') };
}

export function validateNode(ctx: Ctx, raw: unknown, path: string): Node {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.Node',
    fields: ['id', 'cluster', 'metadata', 'locality'],
    // identification strings only shown to the management server
    ignored: ['user_agent_name', 'user_agent_version', 'user_agent_build_version', 'client_features'],
  });
  const node: Node = { id: '', cluster: '', metadata: {} };
  if (m === undefined) return node;
  node.id = m.strOr('id', '');
  node.cluster = m.strOr('cluster', '');
  node.metadata = m.struct('metadata') ?? {};
  const loc = m.msg('locality', (r, p) => validateLocality(ctx, r, p));
  if (loc !== undefined) node.locality = loc;
  return node;
}

export function validateCidr(ctx: Ctx, raw: unknown, path: string): CidrRange | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.CidrRange', fields: ['address_prefix', 'prefix_len'] });
  if (m === undefined) return undefined;
  const addr = m.reqStr('address_prefix');
  const family = isIP(addr);
  if (addr !== '' && family === 0) m.err('address_prefix', `"${addr}" is not an IP address`);
  const len = m.numOr('prefix_len', 0, { int: true, min: 0, max: family === 4 ? 32 : 128 });
  return { address_prefix: addr, prefix_len: len };
}

/** Lower-cases a header name and checks it is a legal HTTP token (pseudo-headers allowed). */
export function headerName(ctx: Ctx, raw: unknown, path: string): string | undefined {
  if (typeof raw !== 'string') {
    ctx.err(path, `expected a header name, got ${describe(raw)}`);
    return undefined;
  }
  if (!/^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(raw)) {
    ctx.err(path, `"${raw}" is not a valid header name`);
    return undefined;
  }
  return raw.toLowerCase();
}

const APPEND_ACTIONS: readonly HeaderAppendAction[] = [
  'APPEND_IF_EXISTS_OR_ADD',
  'ADD_IF_ABSENT',
  'OVERWRITE_IF_EXISTS_OR_ADD',
  'OVERWRITE_IF_EXISTS',
];

export function validateHeaderValueOption(ctx: Ctx, raw: unknown, path: string): HeaderValueOption | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.HeaderValueOption',
    fields: ['header', 'append', 'append_action', 'keep_empty_value'],
  });
  if (m === undefined) return undefined;
  if (!m.require('header')) return undefined;
  const h = Msg.open(ctx, m.raw('header'), m.at('header'), { type: 'config.core.v3.HeaderValue', fields: ['key', 'value'] });
  if (h === undefined) return undefined;
  if (!h.require('key')) return undefined;
  const k = headerName(ctx, h.raw('key'), h.at('key'));
  if (m.has('append') && m.has('append_action')) m.err('append', 'append and append_action cannot both be set');
  // deprecated `append: false` means overwrite; Envoy's default (true) appends
  const appendBool = m.bool('append');
  const action =
    appendBool !== undefined
      ? appendBool
        ? 'APPEND_IF_EXISTS_OR_ADD'
        : 'OVERWRITE_IF_EXISTS_OR_ADD'
      : m.enumOr('append_action', APPEND_ACTIONS, 'APPEND_IF_EXISTS_OR_ADD');
  if (k === undefined) return undefined;
  return {
    header: { key: k, value: h.strOr('value', '') },
    append_action: action,
    keep_empty_value: m.boolOr('keep_empty_value', false),
  };
}

/** The four header edit lists that routes, virtual hosts and route configs share. */
export interface HeaderEdits {
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
}
export const HEADER_EDIT_FIELDS = [
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
] as const;

export function headerEdits(m: Msg): HeaderEdits {
  const add = (name: string): HeaderValueOption[] => m.list(name, (r, p) => validateHeaderValueOption(m.ctx, r, p));
  const remove = (name: string): string[] => m.list(name, (r, p) => headerName(m.ctx, r, p));
  return {
    request_headers_to_add: add('request_headers_to_add'),
    request_headers_to_remove: remove('request_headers_to_remove'),
    response_headers_to_add: add('response_headers_to_add'),
    response_headers_to_remove: remove('response_headers_to_remove'),
  };
}

const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10000, MILLION: 1000000 } as const;

/** type.v3.FractionalPercent {numerator, denominator} -> fraction in [0,1] (capped at 1, as Envoy does). */
export function validateFractionalPercent(ctx: Ctx, raw: unknown, path: string): number | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.v3.FractionalPercent', fields: ['numerator', 'denominator'] });
  if (m === undefined) return undefined;
  const num = m.numOr('numerator', 0, { int: true, min: 0 });
  const den = m.enumOr('denominator', ['HUNDRED', 'TEN_THOUSAND', 'MILLION'], 'HUNDRED');
  return Math.min(1, num / DENOMINATORS[den]);
}

/** type.v3.Percent `{value: 12.5}` (or a bare number) -> percent number in [0,100]. */
export function readPercent(ctx: Ctx, raw: unknown, path: string): number | undefined {
  return readNum(ctx, raw, path, { min: 0, max: 100 });
}

export function validateRuntimeFraction(ctx: Ctx, raw: unknown, path: string): RuntimeFractionalPercent | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.RuntimeFractionalPercent', fields: ['default_value', 'runtime_key'] });
  if (m === undefined) return undefined;
  if (!m.require('default_value')) return undefined;
  const fraction = m.msg('default_value', (r, p) => validateFractionalPercent(ctx, r, p));
  if (fraction === undefined) return undefined;
  const out: RuntimeFractionalPercent = { fraction };
  const rk = m.str('runtime_key');
  if (rk !== undefined) out.runtime_key = rk;
  return out;
}

/** core.v3.DataSource -> its contents as a string; files resolve against the config file's directory. */
export function readDataSource(ctx: Ctx, raw: unknown, path: string): string | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.DataSource',
    fields: ['filename', 'inline_string', 'inline_bytes', 'environment_variable'],
  });
  if (m === undefined) return undefined;
  const which = m.oneof(['filename', 'inline_string', 'inline_bytes', 'environment_variable'], true);
  switch (which) {
    case 'filename': {
      const f = m.reqStr('filename');
      if (f === '') return undefined;
      const full = ctx.baseDir !== undefined ? resolve(ctx.baseDir, f) : resolve(f);
      try {
        return readFileSync(full, 'utf8');
      } catch (e) {
        m.err('filename', `cannot read "${full}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        return undefined;
      }
    }
    case 'inline_string':
      return m.str('inline_string');
    case 'inline_bytes': {
      const b = m.str('inline_bytes');
      if (b === undefined) return undefined;
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b)) {
        m.err('inline_bytes', 'expected base64 (proto3 JSON bytes)');
        return undefined;
      }
      return Buffer.from(b, 'base64').toString('utf8');
    }
    case 'environment_variable': {
      const name = m.reqStr('environment_variable');
      const v = process.env[name];
      if (name !== '' && v === undefined) m.err('environment_variable', `environment variable ${name} is not set`);
      return v;
    }
    default:
      return undefined;
  }
}

/** An enum read outside a Msg (e.g. list items). */
export function enumItem<T extends string>(ctx: Ctx, raw: unknown, path: string, field: string, values: readonly T[]): T | undefined {
  return readEnum(ctx, raw, path, field, values);
}
