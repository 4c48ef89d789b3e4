// Upstream DFP: the process's DNS caches by name, so the DFP HTTP filter and the DFP cluster share one cache.
import { isDeepStrictEqual } from 'node:util';
import type { DnsCacheConfig } from '../../config/types.js';
import type { StatsScope } from '../../telemetry/stats.js';
import { systemLookup, type DnsLookup } from '../dns.js';
import { DnsCache } from './dns-cache.js';

export interface DnsCacheManagerOptions {
  stats: StatsScope;
  lookup?: DnsLookup;
  now?: () => number;
}

export class DnsCacheManager {
  private readonly byName = new Map<string, DnsCache>();
  private readonly all = new Set<DnsCache>();

  constructor(private readonly opts: DnsCacheManagerOptions) {}

  /**
   * The cache named config.name. Config validation refuses two settings for one name within a document;
   * across xDS updates the newest settings win: a new cache takes the name, holders of the old one keep it.
   */
  get(config: DnsCacheConfig): DnsCache {
    const existing = this.byName.get(config.name);
    if (existing !== undefined && isDeepStrictEqual(existing.config, config)) return existing;
    const cache = new DnsCache(config, { stats: this.opts.stats, lookup: this.opts.lookup ?? systemLookup, now: this.opts.now });
    this.byName.set(config.name, cache);
    this.all.add(cache);
    return cache;
  }

  close(): void {
    for (const c of this.all) c.close();
    this.all.clear();
    this.byName.clear();
  }
}
