// Network filters: envoy.filters.network.rbac — checks a connection's addresses, SNI and peer certificate against the
// enforced and shadow rules on its first byte (or on every read with CONTINUOUS); a denied connection is closed.
import type { DownstreamConnectionInfo } from '../../../http/types.js';
import type { RbacAttributes } from '../../../rbac/attributes.js';
import { RbacEngine } from '../../../rbac/engine.js';
import { RbacStats, statPrefixSegments } from '../../../rbac/stats.js';
import type { NetworkFilter, NetworkFilterCallbacks, NetworkFilterFactory, NetworkFilterStatus } from '../../api.js';
import type { NetworkFilterContext } from '../../registry.js';
import type { NetworkRbacConfig } from './config.js';

/** The L4 attributes of a connection: no request, so header rules see an empty map and url_path never matches. */
export function connectionRbacAttributes(info: DownstreamConnectionInfo): RbacAttributes {
  const attrs: RbacAttributes = {
    // no PROXY protocol or x-forwarded-for at L4: every notion of the client is the physical peer
    sourceIp: info.remoteAddress,
    directRemoteIp: info.remoteAddress,
    remoteIp: info.remoteAddress,
    destinationIp: info.localAddress,
    destinationPort: info.localPort,
  };
  const sni = info.tls?.sni ?? info.requestedServerName;
  return { ...attrs, ...(sni !== undefined ? { sni } : {}), ...(info.tls !== undefined ? { tls: info.tls } : {}) };
}

/** Per filter chain: the compiled engines and the <stat_prefix>.rbac. counters. */
interface Shared {
  readonly config: NetworkRbacConfig;
  readonly enforced: RbacEngine | undefined;
  readonly shadow: RbacEngine | undefined;
  readonly stats: RbacStats;
}

export function networkRbacFactory(config: NetworkRbacConfig, ctx: NetworkFilterContext): NetworkFilterFactory {
  const shared: Shared = {
    config,
    enforced: config.rules === undefined ? undefined : RbacEngine.compileValidated(config.rules, 'rules'),
    shadow: config.shadow_rules === undefined ? undefined : RbacEngine.compileValidated(config.shadow_rules, 'shadow_rules'),
    // Envoy: statPrefixJoin(stat_prefix, "rbac."), enforced counters right below, shadow ones below shadow_rules_stat_prefix
    stats: new RbacStats(ctx.stats.scope(...statPrefixSegments(config.stat_prefix), 'rbac'), '', config.shadow_rules_stat_prefix),
  };
  return (cb) => new NetworkRbacFilter(shared, cb);
}

type Verdict = 'unknown' | 'allowed' | 'denied';

class NetworkRbacFilter implements NetworkFilter {
  private enforced: Verdict = 'unknown';
  private shadowed: Verdict = 'unknown';
  private attrs: RbacAttributes | undefined;
  private closing = false;
  private delayTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly shared: Shared,
    private readonly cb: NetworkFilterCallbacks,
  ) {}

  onNewConnection(): NetworkFilterStatus {
    // The chain runs after the TLS handshake, so the transport is ready here.
    return this.shared.config.enforce_on_transport_ready ? this.check() : 'continue';
  }

  onData(): NetworkFilterStatus {
    return this.check();
  }

  onDestroy(): void {
    if (this.delayTimer !== undefined) clearTimeout(this.delayTimer);
  }

  /** ONE_TIME_ON_FIRST_BYTE decides (and counts) once; CONTINUOUS re-evaluates on every read, as Envoy does. */
  private check(): NetworkFilterStatus {
    if (this.closing) return 'stop';
    const { enforced, shadow, stats, config } = this.shared;
    const every = config.enforcement_type === 'CONTINUOUS';
    const attrs = (this.attrs ??= connectionRbacAttributes(this.cb.info));
    if (shadow !== undefined && (every || this.shadowed === 'unknown')) {
      const d = shadow.evaluate(attrs);
      this.shadowed = d.allowed ? 'allowed' : 'denied';
      stats.shadow(d.allowed, d.matchedPolicy, false);
    }
    if (enforced !== undefined && (every || this.enforced === 'unknown')) {
      const d = enforced.evaluate(attrs);
      this.enforced = d.allowed ? 'allowed' : 'denied';
      stats.enforced(d.allowed, d.matchedPolicy, false);
    }
    if (this.enforced !== 'denied') return 'continue';
    this.deny();
    return 'stop';
  }

  /** Closes now, or after delay_deny with reads stopped (the held bytes never reach the terminal filter). */
  private deny(): void {
    this.closing = true;
    const delay = this.shared.config.delay_deny;
    if (delay <= 0) {
      this.cb.close();
      return;
    }
    this.delayTimer = setTimeout(() => this.cb.close(), delay);
  }
}
