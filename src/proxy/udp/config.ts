// UDP proxy: validates a UDP Listener (udp_listener_config, one envoy.filters.udp_listener.udp_proxy listener filter)
// and its UdpProxyConfig; Envoy fields trellis does not implement (session filters, tunneling, matcher trees,
// QUIC options) are rejected by name.
import { Ctx, Msg, isObj, join, typeName, unpackAny, TYPE_PREFIX } from '../config/reader.js';
import { validateAddress } from '../config/common.js';
import type { Listener } from '../config/types.js';
import { DEFAULT_MAX_RX_DATAGRAM_SIZE, type UdpHashPolicy, type UdpListenerSpec, type UdpProxyConfig } from './types.js';

export const UDP_PROXY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig`;
const UDP_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.udp.udp_proxy.v3.Route`;
const UDP_PROXY_NAMES = ['envoy.filters.udp_listener.udp_proxy', 'envoy.filters.udp.udp_proxy'];
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Whether a raw Listener binds UDP (its socket_address says protocol UDP, in any case). */
export function isUdpListener(raw: unknown): boolean {
  if (!isObj(raw) || !isObj(raw.address)) return false;
  const sa = raw.address.socket_address ?? raw.address.socketAddress;
  return isObj(sa) && typeof sa.protocol === 'string' && sa.protocol.toUpperCase() === 'UDP';
}

/** config.core.v3.UdpSocketConfig: the receive size only (prefer_gro is a kernel tuning trellis leaves alone). */
function validateSocketConfig(ctx: Ctx, raw: unknown, path: string): number | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.UdpSocketConfig', fields: ['max_rx_datagram_size'], ignored: ['prefer_gro'] });
  if (m === undefined) return undefined;
  return m.num('max_rx_datagram_size', { int: true, min: 1, max: 65535 });
}

/** xds.type.matcher.v3.Matcher reduced to what a single-cluster proxy needs: on_no_match → Route{cluster}. */
function validateMatcherCluster(ctx: Ctx, raw: unknown, path: string): string | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'xds.type.matcher.v3.Matcher', fields: ['on_no_match'] });
  if (m === undefined) return undefined;
  if (!m.require('on_no_match')) return undefined;
  return m.msg('on_no_match', (r, p) => {
    // a nested matcher (on_no_match.matcher) and keep_matching are rejected by name
    const om = Msg.open(ctx, r, p, { type: 'xds.type.matcher.v3.Matcher.OnMatch', fields: ['action'] });
    if (om === undefined || !om.require('action')) return undefined;
    return om.msg('action', (ar, ap) => {
      const a = Msg.open(ctx, ar, ap, { type: 'config.core.v3.TypedExtensionConfig', fields: ['name', 'typed_config'] });
      if (a === undefined || !a.require('typed_config')) return undefined;
      const any = unpackAny(ctx, a.raw('typed_config'), a.at('typed_config'));
      if (any === undefined) return undefined;
      if (any.typeUrl !== UDP_ROUTE_TYPE) {
        ctx.err(join(a.at('typed_config'), '@type'), `action ${typeName(any.typeUrl)} is not supported; expected ${UDP_ROUTE_TYPE}`);
        return undefined;
      }
      const route = Msg.open(ctx, any.body, any.path, { type: 'extensions.filters.udp.udp_proxy.v3.Route', fields: ['cluster'] });
      const cluster = route?.reqStr('cluster');
      return cluster === undefined || cluster === '' ? undefined : cluster;
    });
  });
}

function validateHashPolicy(ctx: Ctx, raw: unknown, path: string): UdpHashPolicy | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.filters.udp.udp_proxy.v3.UdpProxyConfig.HashPolicy', fields: ['source_ip', 'key'] });
  if (m === undefined) return undefined;
  const which = m.oneof(['source_ip', 'key'], true);
  if (which === 'source_ip') {
    if (m.bool('source_ip') !== true) m.err('source_ip', 'must be true');
    return { kind: 'source_ip' };
  }
  if (which === 'key') {
    const key = m.reqStr('key');
    return key === '' ? undefined : { kind: 'key', key };
  }
  return undefined;
}

export function validateUdpProxy(ctx: Ctx, raw: unknown, path: string): UdpProxyConfig | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.filters.udp.udp_proxy.v3.UdpProxyConfig',
    // left out (rejected by name): use_per_packet_load_balancing, session_filters, tunneling_config
    fields: ['stat_prefix', 'cluster', 'matcher', 'idle_timeout', 'use_original_src_ip', 'hash_policies', 'upstream_socket_config'],
    ignored: ['access_log', 'proxy_access_log', 'access_log_options'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const stat_prefix = m.reqStr('stat_prefix');
  const which = m.oneof(['cluster', 'matcher'], true);
  const cluster = which === 'cluster' ? m.reqStr('cluster') : which === 'matcher' ? m.msg('matcher', (r, p) => validateMatcherCluster(ctx, r, p)) : undefined;
  if (m.bool('use_original_src_ip') === true) m.err('use_original_src_ip', 'use_original_src_ip: true is not supported by trellis (it needs IP_TRANSPARENT and CAP_NET_ADMIN)');
  const hashes = m.list('hash_policies', (r, p) => validateHashPolicy(ctx, r, p));
  if ((m.rawList('hash_policies')?.length ?? 0) > 1) m.err('hash_policies', 'at most one hash policy');
  const out: UdpProxyConfig = {
    stat_prefix,
    cluster: cluster ?? '',
    idle_timeout: m.durOr('idle_timeout', DEFAULT_IDLE_TIMEOUT_MS),
    max_upstream_rx_datagram_size: m.msg('upstream_socket_config', (r, p) => validateSocketConfig(ctx, r, p)) ?? DEFAULT_MAX_RX_DATAGRAM_SIZE,
    ...(hashes[0] !== undefined ? { hash_policy: hashes[0] } : {}),
  };
  return ctx.errors.length === before && cluster !== undefined && cluster !== '' ? out : undefined;
}

function validateUdpListenerConfig(ctx: Ctx, raw: unknown, path: string): number | undefined {
  // quic_options and udp_packet_packet_writer_config are rejected by name: no QUIC, no custom packet writers
  const m = Msg.open(ctx, raw, path, { type: 'config.listener.v3.UdpListenerConfig', fields: ['downstream_socket_config'] });
  return m?.msg('downstream_socket_config', (r, p) => validateSocketConfig(ctx, r, p));
}

/** The listener filter list of a UDP listener: exactly one udp_proxy. */
function validateUdpListenerFilters(m: Msg): UdpProxyConfig | undefined {
  const ctx = m.ctx;
  const found = m.list('listener_filters', (r, p) => {
    const f = Msg.open(ctx, r, p, { type: 'config.listener.v3.ListenerFilter', fields: ['name', 'typed_config'] });
    if (f === undefined) return undefined;
    const name = f.reqStr('name');
    if (!f.has('typed_config')) {
      if (name !== '') f.err(UDP_PROXY_NAMES.includes(name) ? 'typed_config' : 'name', UDP_PROXY_NAMES.includes(name) ? 'is required' : `UDP listener filter "${name}" is not supported by trellis; supported: envoy.filters.udp_listener.udp_proxy`);
      return undefined;
    }
    const any = unpackAny(ctx, f.raw('typed_config'), f.at('typed_config'));
    if (any === undefined) return undefined;
    if (any.typeUrl !== UDP_PROXY_TYPE) {
      ctx.err(join(f.at('typed_config'), '@type'), `UDP listener filter ${typeName(any.typeUrl)} is not supported by trellis; supported: envoy.filters.udp_listener.udp_proxy`);
      return undefined;
    }
    return validateUdpProxy(ctx, any.body, any.path);
  });
  const count = m.rawList('listener_filters')?.length ?? 0;
  if (count === 0) m.err('listener_filters', 'a UDP listener needs an envoy.filters.udp_listener.udp_proxy listener filter');
  else if (count > 1) m.err('listener_filters', 'a UDP listener takes exactly one listener filter (udp_proxy)');
  return count === 1 ? found[0] : undefined;
}

/** A Listener on a UDP address: no filter chains; its datagrams go to the udp_proxy listener filter. */
export function validateUdpListener(ctx: Ctx, raw: unknown, path: string, requireName: boolean): Listener | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.listener.v3.Listener',
    fields: ['name', 'address', 'stat_prefix', 'listener_filters', 'udp_listener_config', 'traffic_direction', 'bind_to_port', 'filter_chains', 'default_filter_chain'],
    ignored: ['metadata', 'reuse_port', 'enable_reuse_port', 'drain_type', 'access_log', 'ignore_global_conn_limit'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const address = m.require('address') ? m.msg('address', (r, p) => validateAddress(ctx, r, p)) : undefined;
  if (m.bool('bind_to_port') === false) m.err('bind_to_port', 'bind_to_port: false is not supported by trellis');
  for (const f of ['filter_chains', 'default_filter_chain']) {
    if (m.has(f)) m.err(f, 'a UDP listener has no filter chains (its datagrams go to the udp_proxy listener filter; QUIC is not supported)');
  }
  const sa = address?.socket_address;
  let name = requireName ? m.reqStr('name') : m.strOr('name', '');
  if (name === '' && !requireName && sa !== undefined) name = `${sa.address}_${sa.port_value}_udp`;
  const proxy = validateUdpListenerFilters(m);
  const downstreamMax = m.msg('udp_listener_config', (r, p) => validateUdpListenerConfig(ctx, r, p)) ?? DEFAULT_MAX_RX_DATAGRAM_SIZE;
  const traffic_direction = m.enumOr('traffic_direction', ['UNSPECIFIED', 'INBOUND', 'OUTBOUND'], 'UNSPECIFIED');
  if (address === undefined || proxy === undefined || ctx.errors.length !== before) return undefined;
  const udp: UdpListenerSpec = { proxy, max_downstream_rx_datagram_size: downstreamMax };
  const out: Listener = {
    name,
    address,
    filter_chains: [],
    listener_filters: [],
    listener_filters_timeout: 0,
    continue_on_listener_filters_timeout: false,
    per_connection_buffer_limit_bytes: 0,
    use_original_dst: false,
    traffic_direction,
    udp,
  };
  const sp = m.str('stat_prefix');
  if (sp !== undefined) out.stat_prefix = sp;
  return out;
}
