// HTTP filters: envoy.filters.http.dynamic_forward_proxy — holds a request to a DFP cluster until the DNS cache
// has resolved its authority, so the cluster can pick the host; 503 on lookup failure or cache overflow.
import type { ActiveStream } from '../../active-stream.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import { Flag } from '../../local-reply.js';
import { firstHeader } from '../../../router/header-value.js';
import { DnsCacheManager } from '../../../upstream/dfp/dns-cache-manager.js';
import type { DnsCache, DnsHostInfo } from '../../../upstream/dfp/dns-cache.js';
import type { DfpFilterConfig, DfpPerRouteConfig } from './config.js';

/** Envoy's local reply bodies and response code details for this filter. */
const Reply = {
  pendingOverflow: ['Dynamic forward proxy pending request overflow', 'dynamic_forward_proxy_pending_request_overflow'],
  cacheOverflow: ['DNS cache overflow', 'dns_cache_overflow'],
  resolutionFailure: 'DNS resolution failure',
} as const;

export function dfpFilterFactory(config: DfpFilterConfig, ctx: HttpFilterContext): HttpFilterFactory {
  // The cluster manager's caches are shared with DFP clusters; a private manager only serves test fakes.
  const caches = ctx.clusters.dnsCaches ?? new DnsCacheManager({ stats: ctx.stats });
  const cache = caches.get(config.dns_cache_config);
  return (cb) => new DfpFilter(cache, cb);
}

class DfpFilter implements HttpFilter {
  private cancel: (() => void) | undefined;
  private pending = false;

  constructor(
    private readonly cache: DnsCache,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(): HeadersStatus {
    const s = this.cb.stream;
    const route = this.cb.route();
    if (route === null || route.action.kind !== 'route') return 'continue';
    const choice = s.chooseCluster();
    const cluster = choice === undefined ? undefined : s.cm.ctx.clusters.get(choice.cluster);
    // Other cluster types manage their own DNS: nothing to wait for.
    if (cluster === undefined || cluster.config.cluster_type === undefined) return 'continue';
    const defaultPort = cluster.config.transport_socket !== undefined ? 443 : 80;
    this.rewriteHost(s);
    if (!this.cache.tryStartPending()) {
      this.reply(Reply.pendingOverflow);
      return 'stop';
    }
    this.pending = true;
    const r = this.cache.load(s.authority, defaultPort, this.onLoaded);
    switch (r.status) {
      case 'in-cache':
        this.endPending();
        return 'continue';
      case 'loading':
        this.cancel = r.cancel;
        return 'stop';
      case 'overflow':
        this.endPending();
        this.reply(Reply.cacheOverflow);
        return 'stop';
      default:
        this.endPending();
        this.fail('invalid_authority');
        return 'stop';
    }
  }

  onDestroy(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.endPending();
  }

  /** PerRouteConfig: the authority to resolve (and send upstream) replaced before the lookup. */
  private rewriteHost(s: ActiveStream): void {
    const per = this.cb.perRouteConfig<DfpPerRouteConfig>();
    if (per === undefined) return;
    let host = per.host_rewrite_literal;
    if (host === undefined && per.host_rewrite_header !== undefined) host = firstHeader(s.headers, per.host_rewrite_header);
    if (host === undefined || host === '') return;
    s.authority = host;
    if (s.headers.host !== undefined) s.headers.host = host;
  }

  private readonly onLoaded = (info: DnsHostInfo): void => {
    this.cancel = undefined;
    this.endPending();
    if (info.address === undefined) this.fail(info.details);
    else this.cb.continueDecoding();
  };

  private fail(details: string): void {
    this.cb.sendLocalReply(503, Reply.resolutionFailure, { flag: Flag.DnsResolutionFailed, details: `dns_resolution_failure{${details}}` });
  }

  private reply([body, details]: readonly [string, string]): void {
    this.cb.sendLocalReply(503, body, { details });
  }

  private endPending(): void {
    if (!this.pending) return;
    this.pending = false;
    this.cache.endPending();
  }
}
