// Network filters: envoy.filters.network.ext_authz — holds a connection's first bytes while a gRPC Authorization
// service checks its peers; OK lets them through, a denial (or an error without failure_mode_allow) closes it.
import type { DownstreamConnectionInfo } from '../../../http/types.js';
import type { Counter, Gauge, StatsScope } from '../../../telemetry/stats.js';
import type { AsyncCall } from '../../../upstream/async-client.js';
import type { CheckAttributes } from '../../../ext-authz/check-attributes.js';
import { AuthzGrpcClient, type CheckOutcome } from '../../../ext-authz/grpc-client.js';
import { statPrefixSegments } from '../../../rbac/stats.js';
import type { NetworkFilter, NetworkFilterCallbacks, NetworkFilterFactory, NetworkFilterStatus } from '../../api.js';
import type { NetworkFilterContext } from '../../registry.js';
import type { NetworkExtAuthzConfig } from './config.js';

interface NetworkExtAuthzStats {
  total: Counter;
  ok: Counter;
  denied: Counter;
  error: Counter;
  failureModeAllowed: Counter;
  cxClosed: Counter;
  active: Gauge;
}

/** Envoy's TCP check: the two peers (and the SNI when asked), no request. */
export function connectionCheckAttributes(info: DownstreamConnectionInfo, includeTlsSession: boolean): CheckAttributes {
  const tls = info.tls;
  const a: CheckAttributes = {
    // Envoy: the URI SAN of the client certificate, else its subject
    source: { address: info.remoteAddress, port: info.remotePort, principal: tls?.peerUriSans[0] ?? tls?.peerSubject ?? '', service: '' },
    destination: { address: info.localAddress, port: info.localPort, principal: '', service: '' },
    timeMs: 0,
    contextExtensions: {},
    metadataContext: {},
  };
  const sni = tls?.sni ?? info.requestedServerName;
  if (includeTlsSession && sni !== undefined) a.tlsSni = sni;
  return a;
}

/** What the filter needs of the Authorization client (the gRPC one, or a fake in tests). */
export interface CheckClient {
  check(attrs: CheckAttributes, cb: (o: CheckOutcome) => void): AsyncCall;
}

interface Shared {
  readonly config: NetworkExtAuthzConfig;
  readonly client: CheckClient;
  readonly stats: NetworkExtAuthzStats;
}

export function networkExtAuthzFactory(config: NetworkExtAuthzConfig, ctx: NetworkFilterContext): NetworkFilterFactory {
  // Built once per chain: this is what loads the gRPC codec (and its protos) the first time.
  return networkExtAuthzWithClient(config, ctx.stats, new AuthzGrpcClient(config.grpc_service, ctx.clusters, ctx.pools));
}

/** The filter over any CheckClient; stats under ext_authz.<stat_prefix>. of `root`. */
export function networkExtAuthzWithClient(config: NetworkExtAuthzConfig, root: StatsScope, client: CheckClient): NetworkFilterFactory {
  const s = root.scope('ext_authz', ...statPrefixSegments(config.stat_prefix));
  const shared: Shared = {
    config,
    client,
    stats: {
      total: s.counter('total'),
      ok: s.counter('ok'),
      denied: s.counter('denied'),
      error: s.counter('error'),
      failureModeAllowed: s.counter('failure_mode_allowed'),
      cxClosed: s.counter('cx_closed'),
      active: s.gauge('active'),
    },
  };
  return (cb) => new NetworkExtAuthzFilter(shared, cb);
}

class NetworkExtAuthzFilter implements NetworkFilter {
  private state: 'idle' | 'calling' | 'allowed' | 'closed' = 'idle';
  private call: AsyncCall | undefined;
  /** The answer came back inside check() itself: the caller's return value continues, no continueReading(). */
  private inCheck = false;

  constructor(
    private readonly shared: Shared,
    private readonly cb: NetworkFilterCallbacks,
  ) {}

  onNewConnection(): NetworkFilterStatus {
    return this.shared.config.check_on_new_connection ? this.check() : 'continue';
  }

  onData(): NetworkFilterStatus {
    return this.check();
  }

  onDestroy(): void {
    if (this.state !== 'calling') return;
    this.state = 'closed';
    this.shared.stats.active.sub(1);
    this.call?.cancel();
  }

  private check(): NetworkFilterStatus {
    if (this.state === 'allowed') return 'continue';
    if (this.state !== 'idle') return 'stop';
    const { stats, client, config } = this.shared;
    this.state = 'calling';
    stats.total.inc();
    stats.active.add(1);
    this.inCheck = true;
    this.call = client.check(connectionCheckAttributes(this.cb.info, config.include_tls_session), (o) => this.onAnswer(o));
    this.inCheck = false;
    return (this.state as string) === 'allowed' ? 'continue' : 'stop';
  }

  private onAnswer(o: CheckOutcome): void {
    if (this.state !== 'calling') return;
    const { stats, config } = this.shared;
    this.call = undefined;
    stats.active.sub(1);
    const denied = o.kind === 'response' && o.response.code !== 0;
    if (o.kind === 'error') stats.error.inc();
    else (denied ? stats.denied : stats.ok).inc();
    if (denied || (o.kind === 'error' && !config.failure_mode_allow)) {
      this.state = 'closed';
      stats.cxClosed.inc();
      this.cb.close();
      return;
    }
    if (o.kind === 'error') stats.failureModeAllowed.inc();
    this.state = 'allowed';
    if (!this.inCheck) this.cb.continueReading();
  }
}
