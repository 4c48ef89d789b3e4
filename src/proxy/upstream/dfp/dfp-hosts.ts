// Upstream DFP: the dynamic_forward_proxy cluster's hosts — one per resolved DNS cache entry, chosen by request authority.
import type { DfpClusterType } from '../../config/types.js';
import type { Host } from '../types.js';
import { NO_LOCALITY, type EndpointSpec, type HostImpl } from '../host.js';
import { parseAuthority } from './authority.js';
import type { DnsCache } from './dns-cache.js';
import type { DnsCacheManager } from './dns-cache-manager.js';

export class DfpHosts {
  readonly cache: DnsCache;
  /** Envoy: 443 when the cluster has a TLS transport socket, else 80. */
  readonly defaultPort: number;
  private readonly unsubscribe: () => void;

  /** `onChange` runs whenever the cache adds, re-addresses or drops a host. */
  constructor(type: DfpClusterType, tls: boolean, caches: DnsCacheManager, onChange: () => void) {
    this.cache = caches.get(type.dns_cache_config);
    this.defaultPort = tls ? 443 : 80;
    this.unsubscribe = this.cache.subscribe({ onHostAddOrUpdate: onChange, onHostRemove: onChange });
  }

  /** Endpoints for every resolved host, keyed (as hosts are) by name:port; the address is set by `addressOf`. */
  specs(): EndpointSpec[] {
    return this.cache.resolvedHosts().map((info) => ({
      address: info.host,
      port: info.port,
      hostname: info.host,
      weight: 1,
      locality: NO_LOCALITY,
      localityWeight: undefined,
      priority: 0,
      edsHealth: 'healthy',
    }));
  }

  addressOf(key: string): string | undefined {
    return this.cache.find(key)?.address;
  }

  /** The host for a request's authority: null when the DNS cache has not resolved it (or the host is unhealthy). */
  choose(authority: string | undefined, hosts: ReadonlyMap<string, HostImpl>): Host | null {
    const parsed = authority === undefined ? null : parseAuthority(authority, this.defaultPort);
    if (parsed === null) return null;
    const h = hosts.get(parsed.key);
    if (h === undefined || h.health === 'unhealthy' || h.ejected) return null;
    this.cache.touch(parsed.key);
    return h;
  }

  close(): void {
    this.unsubscribe();
  }
}
