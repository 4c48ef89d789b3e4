// HTTP API: what the API reads and drives — the store, registry, ADS server status, the generator's record of what was sent.
import type { AdminCredential } from '../auth/credential.js';
import type { IdentityTokenIssuer } from '../auth/identity-token.js';
import type { IssuedRecord } from '../ca/authority.js';
import type { RootRotation } from '../ca/rotation.js';
import type { Snapshot } from '../model/types.js';
import type { MeshMetrics } from '../telemetry/mesh-metrics.js';
import type { WorkloadSource } from '../registry/types.js';
import type { ConfigStore } from '../store/types.js';
import type { XdsResource } from '../translate/generator.js';
import type { ConnectedProxy, ProxyStatus } from '../xds/types.js';
import type { TapHub } from '../tap/tap-hub.js';
import type { ReplicaInfo } from '../cluster/replica-directory.js';

export interface ApiDeps {
  store: ConfigStore;
  registry: WorkloadSource;
  ads: {
    proxies(): ProxyStatus[];
    connected(): ConnectedProxy[];
  };
  /** What a stream was last given for a type (SnapshotGenerator.lastSent). */
  lastSent(connId: string, typeUrl: string): readonly XdsResource[] | undefined;
  snapshot(): Snapshot;
  /** Prometheus text of the ADS server's pilot_* metrics. */
  xdsMetrics(): string;
  ready(): boolean;
  /** Where proxies reach ADS and the CA over TLS (`--host`, `--xds-tls-port`): GET /api/v1/mesh tells `trellis run`. */
  discovery?: { host: string; tlsPort: number };
  /** The mesh CA: its roots (GET /api/v1/ca/root) and Citadel metrics. */
  ca: { trustDomain: string; rootsPem(): string; metrics: { render(): string }; lastIssuedTo?(id: { namespace: string; serviceAccount: string }): IssuedRecord | undefined };
  /** Root rotation (GET/POST /api/v1/ca/rotation); absent in tests that do not drive one. */
  rotation?: Pick<RootRotation, 'status' | 'step'>;
  /** The Istio metrics the control plane scrapes from its proxies; absent with --metrics-interval 0. */
  metrics?: MeshMetrics;
  /** The admin credential every write must carry (with replicas sharing a store: any replica's), and the signer of identity tokens. */
  auth: { adminToken: AdminCredential; tokens: IdentityTokenIssuer };
  /** Live taps (GET /api/v1/tap); absent in tests that do not serve tap streams. */
  tap?: TapHub;
  /** Replicas sharing a store: the others, asked for their part of mesh-wide answers with this replica's admin token. */
  replicas?: { self(): string | undefined; peers(): Promise<ReplicaInfo[]>; token: string };
}
