// Benchmark: control-plane scale — one control-plane replica on etcd, in a process of its own so that its RSS and CPU
// are its own (forked by control-replicas.ts). The parent drives it over IPC with request/reply messages
// (ReplicaOps); it exits when the parent goes, so a crashed bench leaves no replica behind.
import { startControlPlane, type ControlPlane } from '../src/control/server.js';
import { now, settle } from './control-fixture.js';

/** Every request the parent can make: its argument (`in`) and the reply's value (`out`). */
export interface ReplicaOps {
  start: {
    in: { etcdUrl: string; prefix: string; sealKeyFile: string; dataDir: string; debounceMs: number };
    out: { xdsPort: number; httpPort: number; adminToken: string; startMs: number };
  };
  /** The newest config revision this replica's mirror holds. */
  revision: { in: null; out: number };
  /** Starts timing the next rebuild: pushedAt then says when its pushes had all been written. */
  armPush: { in: null; out: null };
  pushedAt: { in: null; out: number | null };
  settle: { in: null; out: null };
  /** The replica's last log lines (kept in memory; printed by the parent when something fails). */
  logTail: { in: null; out: string[] };
  /** Workloads its registry holds (every replica's registrations, through etcd) and the failures it logged. */
  health: { in: null; out: { workloads: number; failures: number; lastFailure: string | null } };
  stop: { in: null; out: null };
}
export type ReplicaOp = keyof ReplicaOps;
export type ReplicaRequest = { [K in ReplicaOp]: { seq: number; op: K; arg: ReplicaOps[K]['in'] } }[ReplicaOp];
export type ReplicaReply = { seq: number; ok: true; value: ReplicaOps[ReplicaOp]['out'] } | { seq: number; ok: false; error: string };

const LOG_LINES = 50;

class Replica {
  private cp: ControlPlane | undefined;
  private readonly logs: string[] = [];
  private failures = 0;
  private lastFailure: string | null = null;
  private pending: { pushedAt?: number; off: () => void } | undefined;

  private get plane(): ControlPlane {
    if (this.cp === undefined) throw new Error('replica not started');
    return this.cp;
  }

  private log(line: string): void {
    this.logs.push(line);
    // a registration etcd refused leaves a connected sidecar out of the endpoints: the parent reports how many
    if (/failed|unavailable/.test(line)) {
      this.failures++;
      this.lastFailure = line;
    }
    if (this.logs.length > LOG_LINES) this.logs.shift();
  }

  readonly ops: { [K in ReplicaOp]: (arg: ReplicaOps[K]['in']) => Promise<ReplicaOps[K]['out']> } = {
    start: async (a) => {
      const t0 = now();
      // plaintext xDS on a free port, as the in-process mode serves it: the simulated sidecars carry no certificates
      this.cp = await startControlPlane({
        etcd: { url: a.etcdUrl, prefix: a.prefix, sealKeyFile: a.sealKeyFile },
        dataDir: a.dataDir,
        xdsPort: 0,
        xdsTlsPort: 0,
        httpPort: 0,
        debounceMs: a.debounceMs,
        log: (m) => this.log(m),
      });
      return { xdsPort: this.cp.xdsPort!, httpPort: this.cp.httpPort, adminToken: this.cp.adminToken, startMs: now() - t0 };
    },
    revision: async () => this.plane.store.revision(),
    armPush: async () => {
      const cp = this.plane;
      this.pending?.off();
      const p: { pushedAt?: number; off: () => void } = { off: () => {} };
      // the replica's own part of a change: its rebuild after the change, then every push written to its streams
      p.off = cp.ingestion.onRebuild(() => {
        p.off();
        setImmediate(() => void cp.ads.settled().then(() => (p.pushedAt = now())));
      });
      this.pending = p;
      return null;
    },
    pushedAt: async () => {
      const p = this.pending;
      this.pending = undefined;
      p?.off();
      await this.plane.ads.settled();
      return p?.pushedAt ?? null;
    },
    settle: async () => {
      await settle(this.plane);
      return null;
    },
    logTail: async () => [...this.logs],
    health: async () => ({ workloads: this.plane.registry.workloads().length, failures: this.failures, lastFailure: this.lastFailure }),
    stop: async () => {
      await this.cp?.close();
      this.cp = undefined;
      return null;
    },
  };
}

function serve(): void {
  const replica = new Replica();
  // the parent may be gone (a timeout ended the run): a reply then has nowhere to go, which is not a crash
  const reply = (r: ReplicaReply): void => {
    if (process.connected) process.send!(r, undefined, {}, () => undefined);
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', (req: ReplicaRequest) => {
    const run = replica.ops[req.op] as (arg: ReplicaRequest['arg']) => Promise<ReplicaOps[ReplicaOp]['out']>;
    run(req.arg).then(
      (value) => reply({ seq: req.seq, ok: true, value }),
      (e: unknown) => reply({ seq: req.seq, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
}

serve();
