// Control-plane cluster: who runs the jobs only one replica may run (history compaction). A lone replica always leads;
// replicas on etcd elect one (store/etcd/leader.ts).

export interface Leadership {
  start(): void;
  isLeader(): boolean;
  /** The leading replica's id, when known. */
  leader(): Promise<string | undefined>;
  onChange(fn: (leader: boolean) => void): () => void;
  close(): Promise<void>;
}

export class SoleLeader implements Leadership {
  constructor(private readonly replicaId: string) {}
  start(): void {}
  isLeader(): boolean {
    return true;
  }
  async leader(): Promise<string | undefined> {
    return this.replicaId;
  }
  onChange(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

/** Runs `job` every `everyMs` while this replica leads (and once on becoming leader); errors go to the log. */
export function whileLeading(leadership: Leadership, everyMs: number, job: () => Promise<void>, log: (msg: string) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const run = (): void => {
    job().catch((e: unknown) => log(`control: leader job failed: ${e instanceof Error ? e.message : String(e)}`));
  };
  const follow = (leader: boolean): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    if (!leader) return;
    run();
    timer = setInterval(run, everyMs);
    timer.unref();
  };
  const off = leadership.onChange(follow);
  follow(leadership.isLeader());
  return () => {
    off();
    if (timer !== undefined) clearInterval(timer);
  };
}
