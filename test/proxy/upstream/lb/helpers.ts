// Test helpers for the LB: build hosts, host sets, clusters and a seeded random source.
import type { Cluster, LbPolicy, Locality } from '../../../../src/proxy/config/types.js';
import type { Host, HostHealth, HostSet, PickContext, Picker } from '../../../../src/proxy/upstream/types.js';

export interface HostOpts {
  weight?: number;
  health?: HostHealth;
  ejected?: boolean;
  priority?: number;
  zone?: string;
  active?: number;
}

export function mkHost(name: string, o: HostOpts = {}): Host {
  const address = name;
  const port = 80;
  return {
    address,
    port,
    key: `${address}:${port}`,
    hostname: name,
    weight: o.weight ?? 1,
    locality: { region: 'r', zone: o.zone ?? 'z', sub_zone: '' },
    priority: o.priority ?? 0,
    activeRequests: o.active ?? 0,
    health: o.health ?? 'healthy',
    ejected: o.ejected ?? false,
    stats: { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_total: 0, cx_active: 0, cx_connect_fail: 0 },
  };
}

/** Groups hosts by zone; `zoneWeights` gives locality weights (absent = unset). */
export function hostSet(priority: number, hosts: Host[], zoneWeights: Record<string, number> = {}, factor = 140): HostSet {
  const zones = [...new Set(hosts.map((h) => h.locality.zone))];
  return {
    priority,
    hosts,
    overprovisioningFactor: factor,
    localities: zones.map((zone) => {
      const locality: Locality = { region: 'r', zone, sub_zone: '' };
      return { locality, weight: zoneWeights[zone], hosts: hosts.filter((h) => h.locality.zone === zone) };
    }),
  };
}

export function mkCluster(policy: LbPolicy, patch: Partial<Cluster> = {}): Cluster {
  return {
    name: 'c',
    type: 'STATIC',
    connect_timeout: 5000,
    lb_policy: policy,
    dns_refresh_rate: 5000,
    dns_lookup_family: 'AUTO',
    respect_dns_ttl: false,
    circuit_breakers: { thresholds: [] },
    health_checks: [],
    common_lb_config: { healthy_panic_threshold: 50, locality_weighted_lb_config: false, ignore_new_hosts_until_first_hc: false },
    least_request_lb_config: { choice_count: 2, active_request_bias: 1 },
    ring_hash_lb_config: { minimum_ring_size: 1024, maximum_ring_size: 8388608, hash_function: 'XX_HASH' },
    maglev_lb_config: { table_size: 65537 },
    typed_extension_protocol_options: {},
    per_connection_buffer_limit_bytes: 1048576,
    close_connections_on_host_health_failure: false,
    ignore_health_on_host_removal: false,
    ...patch,
  };
}

/** mulberry32: small deterministic PRNG in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform 64-bit keys from a seeded source. */
export function keys(n: number, seed: number): bigint[] {
  const r = seeded(seed);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const hi = BigInt(Math.floor(r() * 2 ** 32));
    const lo = BigInt(Math.floor(r() * 2 ** 32));
    out.push((hi << 32n) | lo);
  }
  return out;
}

export function pickHost(picker: Picker, ctx: PickContext = { attempt: 0 }): string {
  const p = picker.pick(ctx);
  if (p.kind !== 'complete') throw new Error('pick failed');
  return p.host.address;
}

export function sequence(picker: Picker, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pickHost(picker));
  return out;
}

export function tally(names: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) m.set(n, (m.get(n) ?? 0) + 1);
  return m;
}
