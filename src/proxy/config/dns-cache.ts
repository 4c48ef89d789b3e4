// Config stage: validates the dynamic forward proxy DnsCacheConfig shared by the DFP HTTP filter and the DFP cluster.
import { isDeepStrictEqual } from 'node:util';
import type { DnsCacheConfig, DnsLookupFamily } from './types.js';
import { Ctx, Msg, TYPE_PREFIX, join, typeName, unpackAny } from './reader.js';
import { validateSocketAddress } from './common.js';

const LOOKUP_FAMILIES: readonly DnsLookupFamily[] = ['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'];

/** The resolvers trellis answers with node:dns lookup(): Envoy's defaults, accepted as long as they carry no options. */
const RESOLVERS: Readonly<Record<string, { name: string; type: string }>> = {
  [`${TYPE_PREFIX}envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig`]: {
    name: 'envoy.network.dns_resolver.cares',
    type: 'extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig',
  },
  [`${TYPE_PREFIX}envoy.extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig`]: {
    name: 'envoy.network.dns_resolver.getaddrinfo',
    type: 'extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig',
  },
};

/** DNS cache configs seen in one document by name: Envoy refuses two different settings under one name. */
const seen = new WeakMap<Ctx, Map<string, { config: DnsCacheConfig; path: string }>>();

function validateResolver(ctx: Ctx, raw: unknown, path: string): void {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.TypedExtensionConfig', fields: ['name', 'typed_config'] });
  if (m === undefined || !m.require('typed_config')) return;
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return;
  const known = RESOLVERS[any.typeUrl];
  if (known === undefined) {
    const names = Object.values(RESOLVERS).map((r) => r.name).join(', ');
    ctx.err(join(m.at('typed_config'), '@type'), `DNS resolver ${typeName(any.typeUrl)} is not supported by trellis; supported (without options): ${names}`);
    return;
  }
  // Every option changes which servers answer or how: trellis asks the system resolver, so none is implemented.
  Msg.open(ctx, any.body, any.path, { type: known.type, fields: [] });
}

export function validateDnsCacheConfig(ctx: Ctx, raw: unknown, path: string): DnsCacheConfig | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.common.dynamic_forward_proxy.v3.DnsCacheConfig',
    fields: [
      'name', 'dns_lookup_family', 'dns_refresh_rate', 'dns_failure_refresh_rate', 'host_ttl', 'max_hosts', 'dns_cache_circuit_breaker',
      'typed_dns_resolver_config', 'dns_query_timeout', 'preresolve_hostnames',
    ],
    // lookup() reports no DNS TTL, so the TTL-based refresh floor never applies
    ignored: ['dns_min_refresh_rate'],
  });
  if (m === undefined) return undefined;
  const out: DnsCacheConfig = {
    name: m.reqStr('name'),
    dns_lookup_family: m.enumOr('dns_lookup_family', LOOKUP_FAMILIES, 'AUTO'),
    dns_refresh_rate: m.durOr('dns_refresh_rate', 60_000),
    host_ttl: m.durOr('host_ttl', 300_000),
    max_hosts: m.numOr('max_hosts', 1024, { int: true, min: 1 }),
    max_pending_requests: 1024,
    dns_query_timeout: m.durOr('dns_query_timeout', 5000),
    preresolve_hostnames: m.list('preresolve_hostnames', (r, p) => {
      const sa = validateSocketAddress(ctx, r, p);
      return sa === undefined ? undefined : { address: sa.address, port: sa.port_value };
    }),
  };
  if (m.has('dns_refresh_rate') && out.dns_refresh_rate < 1) m.err('dns_refresh_rate', 'must be at least 1ms');
  if (m.has('host_ttl') && out.host_ttl <= 0) m.err('host_ttl', 'must be greater than 0');
  if (out.preresolve_hostnames.length > out.max_hosts) {
    m.err('preresolve_hostnames', `${out.preresolve_hostnames.length} hostnames is more than max_hosts (${out.max_hosts})`);
  }
  const failure = m.msg('dns_failure_refresh_rate', (r, p) => {
    const f = Msg.open(ctx, r, p, { type: 'config.cluster.v3.Cluster.RefreshRate', fields: ['base_interval'], ignored: ['max_interval'] });
    if (f === undefined || !f.require('base_interval')) return undefined;
    const base = f.dur('base_interval');
    if (base !== undefined && base < 1) f.err('base_interval', 'must be at least 1ms');
    return base;
  });
  if (failure !== undefined) out.dns_failure_refresh_rate = failure;
  m.msg('dns_cache_circuit_breaker', (r, p) => {
    const c = Msg.open(ctx, r, p, { type: 'extensions.common.dynamic_forward_proxy.v3.DnsCacheCircuitBreakers', fields: ['max_pending_requests'] });
    out.max_pending_requests = c?.numOr('max_pending_requests', 1024, { int: true, min: 0 }) ?? 1024;
    return undefined;
  });
  m.msg('typed_dns_resolver_config', (r, p) => validateResolver(ctx, r, p));
  if (out.name !== '' && !ctx.failedBelow(path) && !ctx.failedAt(path)) checkSameName(ctx, out, path);
  return out;
}

/** Envoy: "All configurations with the same name must otherwise have the same settings." */
function checkSameName(ctx: Ctx, config: DnsCacheConfig, path: string): void {
  let byName = seen.get(ctx);
  if (byName === undefined) seen.set(ctx, (byName = new Map()));
  const first = byName.get(config.name);
  if (first === undefined) byName.set(config.name, { config, path });
  else if (!isDeepStrictEqual(first.config, config)) {
    ctx.err(path, `DNS cache "${config.name}" is configured differently at ${first.path}; every dns_cache_config with the same name must have the same settings`);
  }
}
