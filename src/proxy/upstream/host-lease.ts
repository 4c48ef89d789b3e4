// Upstream: the one cluster-level dispatch step shared by the router, mirrors, upgrades and tcp_proxy —
// choose a host, count it busy, and report the outcome to outlier detection exactly once.
import type { Host, PickContext, UpstreamCluster, UpstreamFailure } from './types.js';

export type HostOutcome = { status: number } | { localFailure: UpstreamFailure };

export class HostLease {
  private released = false;

  constructor(
    readonly cluster: UpstreamCluster,
    readonly host: Host,
  ) {
    host.activeRequests++;
  }

  /** Ends the lease; an outcome feeds outlier detection (overflow is ours, not the host's, so it does not). */
  release(outcome?: HostOutcome): void {
    if (this.released) return;
    this.released = true;
    this.host.activeRequests--;
    if (outcome === undefined || ('localFailure' in outcome && outcome.localFailure === 'overflow')) return;
    this.cluster.reportResult(this.host, outcome);
  }
}

/** A host from the cluster's load balancer, leased; null when none is available. */
export function leaseHost(cluster: UpstreamCluster, pick: PickContext): HostLease | null {
  const host = cluster.chooseHost(pick);
  return host === null ? null : new HostLease(cluster, host);
}
