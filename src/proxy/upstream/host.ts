// Upstream clusters: the Host implementation, with the health, HC and outlier state that survives updates.
import type { Locality } from '../config/types.js';
import type { Host, HostHealth, HostStats } from './types.js';

/** What discovery (STATIC, DNS, EDS) says about one endpoint. */
export interface EndpointSpec {
  address: string;
  port: number;
  hostname: string;
  weight: number;
  locality: Locality;
  localityWeight: number | undefined;
  priority: number;
  edsHealth: HostHealth;
  hcPort?: number;
  hcHostname?: string;
  /** filter_metadata["envoy.transport_socket_match"] of the endpoint. */
  socketMatch?: Readonly<Record<string, unknown>>;
}

/** Outlier-detection bookkeeping kept on the host so it follows the host across cluster updates. */
export interface OutlierHostState {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  consecutiveLocalOriginFailure: number;
  /** Multiplier for base_ejection_time: +1 per ejection, -1 per interval spent un-ejected. */
  ejectionBackoff: number;
  lastEjectionTime: number;
  /** Success-rate buckets for the current interval (external origin and local origin). */
  extTotal: number;
  extSuccess: number;
  localTotal: number;
  localSuccess: number;
}

/** Active health-check bookkeeping (per host, Envoy's ActiveHealthCheckSession counters). */
export interface HcHostState {
  failed: boolean; // FAILED_ACTIVE_HC
  degraded: boolean; // DEGRADED_ACTIVE_HC (x-envoy-degraded)
  pendingFirst: boolean; // no check has completed yet
  numHealthy: number;
  numUnhealthy: number;
}

export function localityKey(l: Locality): string {
  return `${l.region}/${l.zone}/${l.sub_zone}`;
}

export function hostKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export const NO_LOCALITY: Locality = Object.freeze({ region: '', zone: '', sub_zone: '' });

export class HostImpl implements Host {
  readonly key: string;
  private addr: string;
  port: number;
  hostname: string;
  weight: number;
  locality: Locality;
  localityWeight: number | undefined;
  priority: number;
  hcPort: number | undefined;
  hcHostname: string | undefined;
  socketMatch: Readonly<Record<string, unknown>> | undefined;
  activeRequests = 0;
  health: HostHealth = 'healthy';
  ejected = false;
  readonly stats: HostStats = { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_total: 0, cx_active: 0, cx_connect_fail: 0 };
  edsHealth: HostHealth = 'healthy';
  /** Undefined while the cluster has no active health check. */
  hc: HcHostState | undefined;
  readonly outlier: OutlierHostState = {
    consecutive5xx: 0,
    consecutiveGatewayFailure: 0,
    consecutiveLocalOriginFailure: 0,
    ejectionBackoff: 0,
    lastEjectionTime: 0,
    extTotal: 0,
    extSuccess: 0,
    localTotal: 0,
    localSuccess: 0,
  };
  /** Gone from discovery but kept because it still passes active health checks (Envoy does this). */
  removedFromDiscovery = false;

  constructor(spec: EndpointSpec, key?: string) {
    this.key = key ?? hostKey(spec.address, spec.port);
    this.addr = spec.address;
    this.port = spec.port;
    this.hostname = spec.hostname;
    this.weight = spec.weight;
    this.locality = spec.locality;
    this.localityWeight = spec.localityWeight;
    this.priority = spec.priority;
    this.hcPort = spec.hcPort;
    this.hcHostname = spec.hcHostname;
    this.socketMatch = spec.socketMatch;
    this.edsHealth = spec.edsHealth;
    this.recomputeHealth();
  }

  /** LOGICAL_DNS hosts change address in place: the key (hostname:port) stays. */
  get address(): string {
    return this.addr;
  }

  setAddress(address: string): void {
    this.addr = address;
  }

  /** Applies a new discovery answer for the same key; returns true if anything the LB sees changed. */
  updateFrom(spec: EndpointSpec): boolean {
    const changed =
      this.weight !== spec.weight ||
      this.priority !== spec.priority ||
      localityKey(this.locality) !== localityKey(spec.locality) ||
      this.localityWeight !== spec.localityWeight ||
      this.edsHealth !== spec.edsHealth ||
      this.hostname !== spec.hostname;
    this.hostname = spec.hostname;
    this.weight = spec.weight;
    this.locality = spec.locality;
    this.localityWeight = spec.localityWeight;
    this.priority = spec.priority;
    this.hcPort = spec.hcPort;
    this.hcHostname = spec.hcHostname;
    // read by the pools on the next connection: a host whose socket changes gets new connections
    this.socketMatch = spec.socketMatch;
    this.edsHealth = spec.edsHealth;
    this.removedFromDiscovery = false;
    this.recomputeHealth();
    return changed;
  }

  /** Health = the worst of EDS health_status and active health checking. Returns true if it changed. */
  recomputeHealth(): boolean {
    const before = this.health;
    let h: HostHealth = this.edsHealth;
    if (this.hc) {
      if (this.hc.failed) h = 'unhealthy';
      else if (this.hc.degraded && h === 'healthy') h = 'degraded';
    }
    this.health = h;
    return before !== h;
  }
}

/** Counts `socket` as an open connection of `host` (its cx_active) until the socket closes. */
export function trackHostConnection(host: Host, socket: { once(event: 'close', listener: () => void): unknown }): void {
  host.stats.cx_active++;
  socket.once('close', () => {
    host.stats.cx_active--;
  });
}
