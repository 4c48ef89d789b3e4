// Control-plane cluster: which replicas are up and where their API answers — each replica keeps an ephemeral key
// `cluster/replicas/<id>` on a lease it renews, so a replica that dies drops out of the list within the lease's TTL.
import { isStoreError, type ConfigStore, type LeaseId } from '../store/index.js';

export interface ReplicaInfo {
  id: string;
  /** The replica's HTTP API, e.g. http://10.0.0.5:15014. */
  api: string;
}

export const REPLICA_PREFIX = 'cluster/replicas/';
const DEFAULT_TTL_MS = 10_000;

function isReplicaInfo(v: unknown): v is ReplicaInfo {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.id === 'string' && typeof r.api === 'string' && /^https?:\/\//.test(r.api);
}

export class ReplicaDirectory {
  private self: ReplicaInfo | undefined;
  private lease: LeaseId | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warned = false;

  constructor(
    private readonly store: ConfigStore,
    private readonly log: (msg: string) => void,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  get id(): string | undefined {
    return this.self?.id;
  }

  /** Lists this replica and keeps it listed until close(). */
  async join(self: ReplicaInfo): Promise<void> {
    this.self = self;
    await this.announce();
    this.timer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** The other replicas listed now. */
  async peers(): Promise<ReplicaInfo[]> {
    const entries = await this.store.listEphemeral(REPLICA_PREFIX);
    return entries.map((e) => e.value).filter((v): v is ReplicaInfo => isReplicaInfo(v) && v.id !== this.self?.id);
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.lease !== undefined) await this.store.revokeLease(this.lease).catch(() => undefined);
    this.lease = undefined;
  }

  private async announce(): Promise<void> {
    this.lease = await this.store.grantLease(this.ttlMs);
    await this.store.putWithLease(`${REPLICA_PREFIX}${encodeURIComponent(this.self!.id)}`, this.self, this.lease);
  }

  private async renew(): Promise<void> {
    try {
      // a lease lost while the store was unreachable is replaced: the replica is listed again
      if (this.lease === undefined) await this.announce();
      else await this.store.keepAlive(this.lease);
      this.warned = false;
    } catch (e) {
      if (isStoreError(e, 'CLOSED')) return;
      if (isStoreError(e, 'LEASE_NOT_FOUND')) this.lease = undefined;
      if (!this.warned) this.log(`control: could not keep this replica listed for its peers: ${e instanceof Error ? e.message : String(e)}`);
      this.warned = true;
    }
  }
}
