// Config stage: validates a Listener (address, filter chains and their matches, network and listener filters).
import type { FilterChain, FilterChainMatch, Listener, ListenerFilter, NetworkFilter } from './types.js';
import { Ctx, Msg, idx, isObj, join, typeName, unpackAny, TYPE_PREFIX } from './reader.js';
import { validateAddress, validateCidr } from './common.js';
import { HCM_TYPE, validateHcm } from './hcm.js';
import { TCP_PROXY_TYPE, validateTcpProxy } from './tcp-proxy.js';
import { validateTransportSocket } from './tls.js';
import type { Refs } from './refs.js';
import { networkFilterByName, networkFilterByType } from '../network/registry.js';
import { NETWORK_FILTER_MODULES } from '../network/filters/catalog.js';
import { isUdpListener, validateUdpListener } from '../udp/config.js';

const NETWORK_FILTERS: Record<string, string> = {
  'envoy.filters.network.http_connection_manager': HCM_TYPE,
  'envoy.http_connection_manager': HCM_TYPE,
  'envoy.filters.network.tcp_proxy': TCP_PROXY_TYPE,
  'envoy.tcp_proxy': TCP_PROXY_TYPE,
};

const LISTENER_FILTERS: Record<string, { kind: ListenerFilter['kind']; type: string; msg: string }> = {};
for (const [kind, msg] of [
  ['tls_inspector', 'TlsInspector'],
  ['http_inspector', 'HttpInspector'],
  ['original_dst', 'OriginalDst'],
] as const) {
  const entry = { kind, type: `${TYPE_PREFIX}envoy.extensions.filters.listener.${kind}.v3.${msg}`, msg: `extensions.filters.listener.${kind}.v3.${msg}` };
  LISTENER_FILTERS[`envoy.filters.listener.${kind}`] = entry;
  LISTENER_FILTERS[`envoy.listener.${kind}`] = entry; // deprecated well-known name
}

function supportedNetwork(): string {
  return ['envoy.filters.network.http_connection_manager', 'envoy.filters.network.tcp_proxy', ...Object.keys(NETWORK_FILTER_MODULES).map((n) => `envoy.filters.network.${n}`)].join(', ');
}

function validateNetworkFilter(ctx: Ctx, raw: unknown, path: string, refs: Refs): NetworkFilter | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.listener.v3.Filter', fields: ['name', 'typed_config'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  const registered = networkFilterByName(name);
  const expected = NETWORK_FILTERS[name] ?? registered?.typeUrl;
  if (!m.has('typed_config')) {
    if (expected === undefined && name !== '') m.err('name', `network filter "${name}" is not supported by trellis; supported: ${supportedNetwork()}`);
    else if (registered !== undefined) {
      const cfg = registered.validate(ctx, {}, m.at('typed_config'));
      return cfg === undefined ? undefined : { name, typed_config: cfg };
    } else m.err('typed_config', 'is required');
    return undefined;
  }
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  const typeAt = join(m.at('typed_config'), '@type');
  const type = networkFilterByType(any.typeUrl);
  if (any.typeUrl !== HCM_TYPE && any.typeUrl !== TCP_PROXY_TYPE && type === undefined) {
    ctx.err(typeAt, `network filter ${typeName(any.typeUrl)} (filter "${name}") is not supported by trellis; supported: ${supportedNetwork()}`);
    return undefined;
  }
  if (expected !== undefined && expected !== any.typeUrl) {
    ctx.err(typeAt, `${any.typeUrl} does not match filter name "${name}" (expected ${expected})`);
    return undefined;
  }
  const cfg =
    any.typeUrl === HCM_TYPE
      ? validateHcm(ctx, any.body, any.path, refs.inlineRoutes)
      : any.typeUrl === TCP_PROXY_TYPE
        ? validateTcpProxy(ctx, any.body, any.path)
        : type!.validate(ctx, any.body, any.path);
  return cfg === undefined ? undefined : { name, typed_config: cfg };
}

/** Whether a raw network filter entry is http_connection_manager or tcp_proxy (by `@type`, else by name). */
function isTerminal(raw: unknown): boolean {
  if (!isObj(raw)) return false;
  const tc = raw.typed_config ?? raw.typedConfig;
  let t = isObj(tc) ? tc['@type'] : undefined;
  if (isObj(tc) && typeof t === 'string' && t.endsWith('.TypedStruct')) {
    const inner = tc.type_url ?? tc.typeUrl;
    t = typeof inner === 'string' && !inner.includes('/') ? TYPE_PREFIX + inner : inner;
  }
  if (typeof t === 'string') return t === HCM_TYPE || t === TCP_PROXY_TYPE;
  return NETWORK_FILTERS[String(raw.name)] !== undefined;
}

/** Envoy's rule for network filter chains: the last filter is terminal and no terminal filter comes before it. */
function checkTerminalLast(m: Msg): void {
  const items = m.rawList('filters') ?? [];
  const last = items.length - 1;
  if (items.length === 0) {
    m.err('filters', 'a filter chain needs a terminal network filter (http_connection_manager or tcp_proxy)');
    return;
  }
  // positions are checked on the raw list so indices in messages match the user's file
  items.forEach((r, i) => {
    if (i !== last && isTerminal(r)) m.ctx.err(idx(m.at('filters'), i), 'is a terminal filter and must be the last network filter in the chain');
  });
  if (!isTerminal(items[last])) m.ctx.err(idx(m.at('filters'), last), 'the last network filter must be a terminal filter (http_connection_manager or tcp_proxy)');
}

function validateFilterChainMatch(ctx: Ctx, raw: unknown, path: string): FilterChainMatch | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.listener.v3.FilterChainMatch',
    fields: ['destination_port', 'prefix_ranges', 'direct_source_prefix_ranges', 'source_type', 'source_prefix_ranges', 'source_ports', 'server_names', 'transport_protocol', 'application_protocols'],
  });
  if (m === undefined) return undefined;
  const out: FilterChainMatch = {
    prefix_ranges: m.list('prefix_ranges', (r, p) => validateCidr(ctx, r, p)),
    direct_source_prefix_ranges: m.list('direct_source_prefix_ranges', (r, p) => validateCidr(ctx, r, p)),
    source_type: m.enumOr('source_type', ['ANY', 'SAME_IP_OR_LOOPBACK', 'EXTERNAL'], 'ANY'),
    source_prefix_ranges: m.list('source_prefix_ranges', (r, p) => validateCidr(ctx, r, p)),
    source_ports: m.list('source_ports', (r, p) => {
      const n = typeof r === 'number' || typeof r === 'string' ? Number(r) : NaN;
      if (Number.isInteger(n) && n >= 1 && n <= 65535) return n;
      ctx.err(p, `${JSON.stringify(r)} is not a port number 1–65535`);
      return undefined;
    }),
    server_names: m.strList('server_names').map((s) => s.toLowerCase()),
    application_protocols: m.strList('application_protocols'),
  };
  const dp = m.num('destination_port', { int: true, min: 1, max: 65535 });
  if (dp !== undefined) out.destination_port = dp;
  const tp = m.str('transport_protocol');
  if (tp !== undefined) out.transport_protocol = tp;
  return out;
}

function validateFilterChain(ctx: Ctx, raw: unknown, path: string, refs: Refs): FilterChain | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.listener.v3.FilterChain',
    fields: ['filter_chain_match', 'filters', 'transport_socket', 'transport_socket_connect_timeout', 'name'],
    ignored: ['metadata'],
  });
  if (m === undefined) return undefined;
  const filters = m.list('filters', (r, p) => validateNetworkFilter(ctx, r, p, refs));
  checkTerminalLast(m);
  const out: FilterChain = { name: m.strOr('name', ''), filters };
  const fcm = m.msg('filter_chain_match', (r, p) => validateFilterChainMatch(ctx, r, p));
  if (fcm !== undefined) out.filter_chain_match = fcm;
  const ts = m.msg('transport_socket', (r, p) => validateTransportSocket(ctx, r, p, 'downstream', refs.secrets));
  if (ts !== undefined) out.transport_socket = ts;
  const tsct = m.dur('transport_socket_connect_timeout');
  if (tsct !== undefined) out.transport_socket_connect_timeout = tsct;
  return out;
}

function validateListenerFilter(ctx: Ctx, raw: unknown, path: string): ListenerFilter | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.listener.v3.ListenerFilter', fields: ['name', 'typed_config'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  let entry = LISTENER_FILTERS[name];
  if (m.has('typed_config')) {
    const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
    if (any === undefined) return undefined;
    const byType = Object.values(LISTENER_FILTERS).find((e) => e.type === any.typeUrl);
    const typeAt = join(m.at('typed_config'), '@type');
    if (byType === undefined) {
      ctx.err(typeAt, `listener filter ${typeName(any.typeUrl)} is not supported by trellis; supported: tls_inspector, http_inspector, original_dst`);
      return undefined;
    }
    if (entry !== undefined && entry !== byType) {
      ctx.err(typeAt, `${any.typeUrl} does not match listener filter name "${name}" (expected ${entry.type})`);
      return undefined;
    }
    entry = byType;
    // tls_inspector's ja3 fingerprinting and read buffer size are observability/tuning only
    Msg.open(ctx, any.body, any.path, { type: entry.msg, fields: [], ignored: ['enable_ja3_fingerprinting', 'initial_read_buffer_size'] });
  } else if (entry === undefined && name !== '') {
    m.err('name', `listener filter "${name}" is not supported by trellis; supported: envoy.filters.listener.tls_inspector, envoy.filters.listener.http_inspector, envoy.filters.listener.original_dst`);
    return undefined;
  }
  if (entry?.kind === 'original_dst') {
    m.err('name', 'envoy.filters.listener.original_dst is not supported by trellis (no access to the original destination of redirected connections)');
    return undefined;
  }
  return entry === undefined ? undefined : { name, kind: entry.kind };
}

/** Validates a Listener; cross-resource references are added to `refs`. */
export function listener(ctx: Ctx, raw: unknown, path: string, refs: Refs, requireName: boolean): Listener | undefined {
  if (isUdpListener(raw)) return validateUdpListener(ctx, raw, path, requireName);
  const m = Msg.open(ctx, raw, path, {
    type: 'config.listener.v3.Listener',
    fields: [
      'name', 'address', 'stat_prefix', 'filter_chains', 'use_original_dst', 'default_filter_chain', 'per_connection_buffer_limit_bytes',
      'listener_filters', 'listener_filters_timeout', 'continue_on_listener_filters_timeout', 'traffic_direction', 'bind_to_port',
    ],
    // metadata, logging and socket tuning that do not change what traffic goes where
    ignored: ['metadata', 'access_log', 'tcp_backlog_size', 'reuse_port', 'enable_reuse_port', 'drain_type', 'ignore_global_conn_limit'],
  });
  if (m === undefined) return undefined;
  m.require('address');
  const address = m.msg('address', (r, p) => validateAddress(ctx, r, p));
  if (m.bool('bind_to_port') === false) m.err('bind_to_port', 'bind_to_port: false is not supported by trellis');
  const sa = address?.socket_address;
  let name = requireName ? m.reqStr('name') : m.strOr('name', '');
  // Envoy names an unnamed static listener itself; an address-based name keeps logs readable
  if (name === '' && !requireName && sa !== undefined) name = `${sa.address}_${sa.port_value}`;
  const chains = m.list('filter_chains', (r, p) => validateFilterChain(ctx, r, p, refs));
  const seen = new Map<string, number>();
  chains.forEach((c, i) => {
    const k = JSON.stringify(c.filter_chain_match ?? {});
    const first = seen.get(k);
    if (first !== undefined) ctx.err(`${m.at('filter_chains')}[${i}].filter_chain_match`, `has the same matching rules as filter_chains[${first}]`);
    else seen.set(k, i);
  });
  const out: Listener = {
    name,
    address: address ?? { socket_address: { protocol: 'TCP', address: '', port_value: 0 } },
    filter_chains: chains,
    listener_filters: m.list('listener_filters', (r, p) => validateListenerFilter(ctx, r, p)),
    listener_filters_timeout: m.durOr('listener_filters_timeout', 15000),
    continue_on_listener_filters_timeout: m.boolOr('continue_on_listener_filters_timeout', false),
    per_connection_buffer_limit_bytes: m.numOr('per_connection_buffer_limit_bytes', 1048576, { int: true, min: 0 }),
    use_original_dst: false,
    traffic_direction: m.enumOr('traffic_direction', ['UNSPECIFIED', 'INBOUND', 'OUTBOUND'], 'UNSPECIFIED'),
  };
  // The original destination is only known after iptables redirection, which Node cannot read back.
  if (m.boolOr('use_original_dst', false)) m.err('use_original_dst', 'use_original_dst is not supported by trellis (no access to the original destination of redirected connections)');
  const dfc = m.msg('default_filter_chain', (r, p) => validateFilterChain(ctx, r, p, refs));
  if (dfc !== undefined) {
    if (dfc.filter_chain_match !== undefined) ctx.err(join(m.at('default_filter_chain'), 'filter_chain_match'), 'the default filter chain cannot have a filter_chain_match');
    out.default_filter_chain = dfc;
  }
  if (!m.has('filter_chains') && !m.has('default_filter_chain')) m.err('filter_chains', 'a listener needs at least one filter chain (or a default_filter_chain)');
  const sp = m.str('stat_prefix');
  if (sp !== undefined) out.stat_prefix = sp;
  return out;
}
