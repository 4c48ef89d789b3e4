// Test support: a real etcd cluster on loopback (Debian's etcd-server, installed by scripts/install-system-deps.sh), one
// temp data dir per member; members can be killed, frozen and restarted, and none outlives the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/common/free-port.js';

const OUTPUT_TAIL = 4096;
const READY_MS = 20_000;
const STOP_GRACE_MS = 2000;
const SETPRIV = '/usr/bin/setpriv';

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The etcd binary (`TRELLIS_ETCD_BIN`, else /usr/bin/etcd) if it exists and is executable. */
export function etcdBinary(): string | undefined {
  const bin = process.env['TRELLIS_ETCD_BIN'] || '/usr/bin/etcd';
  return executable(bin) ? bin : undefined;
}

/** A skip reason for `describe(…, { skip: ETCD_MISSING })`, or false when etcd can run. */
export const ETCD_MISSING: string | false =
  etcdBinary() === undefined
    ? process.env['TRELLIS_ETCD_BIN']
      ? `TRELLIS_ETCD_BIN=${process.env['TRELLIS_ETCD_BIN']} is not an executable`
      : 'etcd not installed: run scripts/install-system-deps.sh'
    : false;

interface Member {
  name: string;
  client: number;
  peer: number;
  proc: ChildProcess | undefined;
  output: string;
}

export interface EtcdCluster {
  /** `127.0.0.1:<client port>`, one per member. */
  endpoints: string[];
  /** `etcd://` followed by every endpoint, as `trellis control --store` takes it. */
  storeUrl: string;
  /** Kills member i (SIGKILL unless told) and resolves once it has exited. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts member i again on its data dir and ports (killing it first if it runs); resolves when it is healthy. */
  restart(i: number): Promise<void>;
  /** Freezes member i (SIGSTOP): to its clients and peers it is a partition. */
  pause(i: number): void;
  resume(i: number): void;
  healthy(i: number): Promise<boolean>;
  /** Stops every member and removes the data dirs; idempotent. */
  stop(): Promise<void>;
}

// The backstop for a test that never calls stop(). The 'exit' event does not fire when node dies of a signal (the test
// runner SIGTERMs a file that times out), which is what setpriv's parent-death signal is for.
// The data dirs go too: etcd preallocates 64 MB WAL files, ~120 MB per member.
const running = new Set<ChildProcess>();
const dataDirs = new Set<string>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
  for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
});

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

// no pid: the spawn itself failed, and such a process emits 'error' but never 'exit'
function gone(p: ChildProcess | undefined): boolean {
  return p === undefined || p.pid === undefined || p.exitCode !== null || p.signalCode !== null;
}

async function healthy(client: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${client}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

class StartError extends Error {
  constructor(message: string, readonly bindFailed: boolean) {
    super(message);
  }
}

/** Starts `members` (default 3) etcd members on loopback and resolves once every one reports healthy. */
export async function startEtcdCluster(opts: { members?: number } = {}): Promise<EtcdCluster> {
  try {
    return await attempt(opts.members ?? 3);
  } catch (e) {
    // freePort's ports are free when chosen, not reserved: another process may bind one before etcd does
    if (!(e instanceof StartError && e.bindFailed)) throw e;
    return attempt(opts.members ?? 3);
  }
}

async function attempt(count: number): Promise<EtcdCluster> {
  const bin = etcdBinary();
  if (bin === undefined) throw new Error(ETCD_MISSING || 'etcd not found');
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'trellis-etcd-'));
  dataDirs.add(dir);
  const token = `trellis-test-${randomUUID()}`;
  const ports = new Set<number>();
  const pick = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (ports.has(p)) continue;
      ports.add(p);
      return p;
    }
  };
  const members: Member[] = [];
  for (let i = 0; i < count; i++) members.push({ name: `n${i}`, client: await pick(), peer: await pick(), proc: undefined, output: '' });
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const tails = (ms: Member[]): string => ms.map((m) => `--- ${m.name} (client ${m.client}, peer ${m.peer})\n${m.output}`).join('\n');

  const launch = (m: Member): void => {
    // The same argv serves a restart: etcd 3.4 finds the WAL in the data dir and ignores every --initial-cluster* flag.
    const args = [
      '--name', m.name, '--data-dir', path.join(dir, m.name),
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initial, '--initial-cluster-token', token, '--initial-cluster-state', 'new',
      '--heartbeat-interval', '50', '--election-timeout', '500', '--max-txn-ops', '10000', '--logger', 'zap', '--log-level', 'warn',
    ];
    // setpriv execs etcd in place (same pid) with a parent-death signal: etcd dies with node, however node dies
    const p = executable(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      m.output = (m.output + d.toString()).slice(-OUTPUT_TAIL);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    p.on('error', (e) => keep(Buffer.from(`spawn failed: ${e.message}\n`)));
    running.add(p);
    p.once('exit', () => running.delete(p));
    m.proc = p;
  };
  const waitHealthy = async (ms: Member[]): Promise<void> => {
    const deadline = Date.now() + READY_MS;
    for (;;) {
      const ok = await Promise.all(ms.map((m) => healthy(m.client)));
      if (ok.every(Boolean)) return;
      // a member that exited will not become healthy: fail now, with what it said
      const dead = ms.filter((m) => gone(m.proc));
      if (dead.length > 0) {
        throw new StartError(`etcd member exited before it was healthy:\n${tails(dead)}`, dead.some((m) => /address already in use/.test(m.output)));
      }
      if (Date.now() > deadline) throw new StartError(`etcd not healthy within ${READY_MS} ms:\n${tails(ms)}`, false);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const p = members[i]!.proc;
    if (gone(p)) return;
    p!.kill('SIGCONT'); // a paused member would not act on SIGTERM
    p!.kill(signal);
    await exited(p!);
  };
  const stopMember = async (m: Member): Promise<void> => {
    const p = m.proc;
    if (gone(p)) return;
    p!.kill('SIGCONT');
    p!.kill('SIGTERM');
    // a leader whose hand-off cannot succeed (its peers paused or gone) takes ~6 s to act on SIGTERM
    const timer = setTimeout(() => p!.kill('SIGKILL'), STOP_GRACE_MS);
    await exited(p!);
    clearTimeout(timer);
  };
  let stopping: Promise<void> | undefined;
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => `127.0.0.1:${m.client}`),
    storeUrl: `etcd://${members.map((m) => `127.0.0.1:${m.client}`).join(',')}`,
    kill,
    async restart(i) {
      await kill(i);
      launch(members[i]!);
      await waitHealthy([members[i]!]);
    },
    pause: (i) => void members[i]!.proc?.kill('SIGSTOP'),
    resume: (i) => void members[i]!.proc?.kill('SIGCONT'),
    healthy: (i) => healthy(members[i]!.client),
    stop() {
      stopping ??= (async () => {
        // One at a time: a leader told to stop hands leadership to a live peer first; when its peers are stopping too,
        // that hand-off waits out etcd's request timeout (~6 s) and every stop would cost the SIGKILL grace.
        for (const m of members) await stopMember(m);
        await fs.promises.rm(dir, { recursive: true, force: true });
        dataDirs.delete(dir);
      })();
      return stopping;
    },
  };
  try {
    for (const m of members) launch(m);
    await waitHealthy(members);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
