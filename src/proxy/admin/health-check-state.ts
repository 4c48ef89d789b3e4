// Admin: the server's own health as Envoy's HTTP health_check filter sees it — the POST /healthcheck/fail flag and
// the local cluster name (node.cluster) it reports in x-envoy-upstream-healthchecked-cluster.

/** What the health_check filter reads on every request; the admin endpoint (or the primary, in worker mode) writes it. */
export interface ServerHealth {
  /** node.cluster: Envoy's local cluster name. */
  readonly serviceCluster: string;
  /** True from POST /healthcheck/fail until POST /healthcheck/ok. */
  healthCheckFailed(): boolean;
}

export class HealthCheckState implements ServerHealth {
  private failed = false;

  constructor(readonly serviceCluster: string) {}

  healthCheckFailed(): boolean {
    return this.failed;
  }

  setHealthCheckFailed(failed: boolean): void {
    this.failed = failed;
  }
}
