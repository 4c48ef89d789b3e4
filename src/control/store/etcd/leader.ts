// etcd store: one leader among the replicas (etcd's election recipe on a lease), for the jobs only one may run at a time.
// A lost lease or campaign error ends leadership at once and campaigns again after a pause; resign hands it over on stop.
import type { Campaign, Etcd3 } from 'etcd3';
import type { Leadership } from '../../cluster/leadership.js';

const RETRY_MS = 1000;

export class EtcdLeadership implements Leadership {
  private campaign: Campaign | undefined;
  private leading = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly replicaId: string,
    private readonly ttlS: number,
    private readonly log: (msg: string) => void,
  ) {}

  start(): void {
    if (this.closed || this.campaign !== undefined) return;
    const c = this.client.namespace(this.prefix).election('leader', this.ttlS).campaign(this.replicaId);
    this.campaign = c;
    c.on('elected', () => {
      if (this.campaign !== c) return;
      this.log(`control: this replica (${this.replicaId}) leads the periodic jobs`);
      this.set(true);
    });
    c.on('error', (e: Error) => {
      if (this.campaign !== c) return;
      this.campaign = undefined;
      if (this.leading) this.log(`control: leadership lost (${e.message}); campaigning again`);
      this.set(false);
      if (!this.closed) {
        this.retry = setTimeout(() => this.start(), RETRY_MS);
        this.retry.unref();
      }
    });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The replica that leads now, as etcd has it. */
  async leader(): Promise<string | undefined> {
    return this.client.namespace(this.prefix).election('leader', this.ttlS).leader();
  }

  onChange(fn: (leader: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    const c = this.campaign;
    this.campaign = undefined;
    this.set(false);
    await c?.resign().catch(() => undefined);
  }

  private set(leader: boolean): void {
    if (this.leading === leader) return;
    this.leading = leader;
    for (const fn of this.listeners) fn(leader);
  }
}
