// Upstream: interfaces between the cluster manager, load balancers and the HTTP router filter.
import type { Cluster, ClusterLoadAssignment, Locality } from '../config/types.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { DnsCacheManager } from './dfp/dns-cache-manager.js';

export type HostHealth = 'healthy' | 'unhealthy' | 'degraded';

/** One upstream endpoint. Mutable counters live here so LB pickers read them without lookups. */
export interface Host {
  readonly address: string; // IP (or hostname for LOGICAL_DNS) to connect to
  readonly port: number;
  readonly key: string; // "address:port", stable identity across updates
  readonly hostname: string; // endpoint.hostname or the DNS name it came from (for SNI / auto_host_rewrite)
  readonly weight: number; // load_balancing_weight, >= 1
  readonly locality: Locality;
  readonly priority: number;
  /** The endpoint's filter_metadata["envoy.transport_socket_match"]: picks its transport socket among the cluster's matches. */
  readonly socketMatch?: Readonly<Record<string, unknown>>;
  /** Active (in-flight) requests: LEAST_REQUEST reads it, the router filter updates it. */
  activeRequests: number;
  /** Health from EDS health_status and active health checks combined. */
  health: HostHealth;
  /** Set by outlier detection while the host is ejected. */
  ejected: boolean;
  /** Per-host stats for /clusters. The router and pools count rq_total / cx_*; reportResult counts the rest. */
  readonly stats: HostStats;
}

export interface HostStats {
  rq_total: number;
  rq_success: number;
  rq_error: number;
  rq_timeout: number;
  cx_total: number;
  cx_active: number; // open connections right now, counted by the pools and tcp_proxy
  cx_connect_fail: number;
}

/** Hosts of one priority level, grouped by locality. */
export interface HostSet {
  readonly priority: number;
  readonly hosts: readonly Host[];
  readonly localities: readonly { locality: Locality; weight: number | undefined; hosts: readonly Host[] }[];
  readonly overprovisioningFactor: number; // percent, Envoy default 140
}

export type PrioritySet = readonly HostSet[];

/** What a picker may use; every field may be missing ("assume context information is missing"). */
export interface PickContext {
  /** Hash of the request for RING_HASH / MAGLEV (from the route's hash_policy); absent = random. */
  hashKey?: bigint;
  /** Retry attempt number (0 = first try). */
  attempt: number;
  /** Hosts already tried by this request that a retry should avoid (retry_previous_hosts). */
  excluded?: ReadonlySet<Host>;
  /** Route retry_policy.host_selection_retry_max_attempts: re-picks allowed to avoid `excluded`. */
  hostSelectionRetryMaxAttempts?: number;
  /** The request's :authority (dynamic_forward_proxy clusters pick the host resolved for it). */
  authority?: string;
}

export type Pick = { kind: 'complete'; host: Host } | { kind: 'fail' };

export interface Picker {
  pick(ctx: PickContext): Pick;
}

/** A load-balancing policy; rebuilt into a new picker whenever hosts or health change. */
export interface LoadBalancer {
  update(set: PrioritySet): Picker;
}

export type UpstreamFailure =
  | 'connect-failure' // could not connect (UF)
  | 'reset' // connection reset / closed before a full response (UR)
  | 'timeout' // per-try or global timeout (UT)
  | 'refused-stream' // HTTP/2 REFUSED_STREAM
  | 'overflow'; // circuit breaker (pending requests or connections) overflowed (UO)

/** Circuit-breaker accounting for one cluster (Envoy's DEFAULT priority thresholds). */
export interface CircuitBreakers {
  /** Returns false (and counts the overflow) when starting one more request would exceed max_requests. */
  tryStartRequest(): boolean;
  endRequest(): void;
  tryStartPending(): boolean;
  endPending(): void;
  tryStartRetry(): boolean;
  endRetry(): void;
  /** max_connections check for pools opening a new connection. */
  tryOpenConnection(): boolean;
  closeConnection(): void;
}

/** A cluster as the request path sees it. */
export interface UpstreamCluster {
  readonly name: string;
  readonly config: Cluster;
  readonly stats: StatsScope; // cluster.<name>.
  readonly breakers: CircuitBreakers;
  /** Chooses a host; null = no healthy upstream (UH). */
  chooseHost(ctx: PickContext): Host | null;
  /** Outlier detection input: the final outcome of one request to a host (also counts its rq_success/rq_error/rq_timeout). */
  reportResult(host: Host, outcome: { status?: number; localFailure?: UpstreamFailure }): void;
  /** Current priority set (for /clusters and tests). */
  prioritySet(): PrioritySet;
  /** EDS: replaces the endpoints of this cluster. */
  setLoadAssignment(cla: ClusterLoadAssignment): void;
}

export interface ClusterManager {
  get(name: string): UpstreamCluster | undefined;
  /** Named DNS caches shared by dynamic_forward_proxy filters and clusters (absent in test fakes). */
  readonly dnsCaches?: DnsCacheManager;
  all(): readonly UpstreamCluster[];
  /** Replace the set of clusters; clusters whose config is unchanged keep their hosts and state. */
  update(clusters: readonly Cluster[]): void;
  /** EDS: endpoints for the cluster named by cla.cluster_name; false if no such cluster. */
  setLoadAssignment(cla: ClusterLoadAssignment): boolean;
  /** Resolves once every cluster is warm: DNS answered and first health checks done. */
  ready(): Promise<void>;
  close(): void;
}
