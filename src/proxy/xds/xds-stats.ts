// xDS client: Envoy's subscription stats (control_plane.*, cluster_manager.cds.*, listener_manager.lds.*, http.<prefix>.rds|vhds.<name>.*, cluster.<name>.update_*).
import { xxhash64 } from '../../common/hash.js';
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';

/** One subscription's counters, named as Envoy names them under the subscription's scope. */
export class SubscriptionStats {
  readonly attempt: Counter;
  readonly success: Counter;
  readonly rejected: Counter;
  readonly failure: Counter;
  readonly empty: Counter;
  readonly initFetchTimeout: Counter;
  /** Envoy: a hash of the last accepted version_info. */
  readonly version: Gauge;
  /** Envoy: epoch ms of the last accepted update. */
  readonly updateTime: Gauge;

  constructor(s: StatsScope) {
    this.attempt = s.counter('update_attempt');
    this.success = s.counter('update_success');
    this.rejected = s.counter('update_rejected');
    this.failure = s.counter('update_failure');
    this.empty = s.counter('update_empty');
    this.initFetchTimeout = s.counter('init_fetch_timeout');
    this.version = s.gauge('version');
    this.updateTime = s.gauge('update_time');
  }

  accepted(version: string): void {
    this.success.inc();
    // 48 bits of the hash: a gauge is a double, larger integers would lose precision
    this.version.set(Number(xxhash64(version) & 0xffffffffffffn));
    this.updateTime.set(Date.now());
  }
}

export class XdsStats {
  readonly connectedState: Gauge;
  readonly cds: SubscriptionStats;
  readonly lds: SubscriptionStats;
  readonly listenerCreateFailure: Counter;
  private readonly rdsStats = new Map<string, SubscriptionStats>();
  private readonly vhdsStats = new Map<string, SubscriptionStats>();
  private readonly edsStats = new Map<string, SubscriptionStats>();

  constructor(private readonly root: StatsScope) {
    this.connectedState = root.gauge('control_plane', 'connected_state');
    this.cds = new SubscriptionStats(root.scope('cluster_manager', 'cds'));
    this.lds = new SubscriptionStats(root.scope('listener_manager', 'lds'));
    this.listenerCreateFailure = root.counter('listener_manager', 'listener_create_failure');
  }

  /** http.<stat_prefix>.rds.<route_config_name>.* — one set per HCM prefix using the route config. */
  rds(prefix: string, name: string): SubscriptionStats {
    const key = `${prefix}\u0000${name}`;
    let s = this.rdsStats.get(key);
    if (s === undefined) {
      s = new SubscriptionStats(this.root.scope('http', ['envoy_http_conn_manager_prefix', prefix], 'rds', ['envoy_rds_route_config', name]));
      this.rdsStats.set(key, s);
    }
    return s;
  }

  /** http.<stat_prefix>.vhds.<route_config_name>.* — Envoy's VHDS subscription scope, next to the RDS one. */
  vhds(prefix: string, name: string): SubscriptionStats {
    const key = `${prefix}\u0000${name}`;
    let s = this.vhdsStats.get(key);
    if (s === undefined) {
      s = new SubscriptionStats(this.root.scope('http', ['envoy_http_conn_manager_prefix', prefix], 'vhds', ['envoy_rds_route_config', name]));
      this.vhdsStats.set(key, s);
    }
    return s;
  }

  /** cluster.<name>.update_* — Envoy keeps EDS subscription stats in the cluster's scope. */
  eds(cluster: string): SubscriptionStats {
    let s = this.edsStats.get(cluster);
    if (s === undefined) {
      s = new SubscriptionStats(this.root.scope('cluster', ['envoy_cluster_name', cluster]));
      this.edsStats.set(cluster, s);
    }
    return s;
  }
}
