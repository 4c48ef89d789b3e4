// Test support: a real etcd cluster on loopback (Debian's etcd-server, installed by scripts/install-system-deps.sh), one
// temp data dir per member; members can be killed, frozen and restarted, and none outlives the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/common/free-port.js';

const OUTPUT_TAIL = 4096;

export function etcdBinary(): string | undefined {
  const bin = process.env['TRELLIS_ETCD_BIN'] ?? '/usr/bin/etcd';
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    return bin;
  } catch {
    return undefined;
  }
}

export const ETCD_MISSING: string | false = etcdBinary() === undefined ? 'etcd not installed: run scripts/install-system-deps.sh' : false;

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
  /** Starts member i again on its data dir and ports; resolves when it is healthy. */
  restart(i: number): Promise<void>;
  /** Freezes member i (SIGSTOP): to its clients it is a partition. */
  pause(i: number): void;
  resume(i: number): void;
  healthy(i: number): Promise<boolean>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

async function healthy(client: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${client}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

export async function startEtcdCluster(opts: { members?: number } = {}): Promise<EtcdCluster> {
  const bin = etcdBinary();
  if (bin === undefined) throw new Error(ETCD_MISSING as string);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-etcd-'));
  const token = `trellis-test-${randomUUID()}`;
  const members: Member[] = [];
  for (let i = 0; i < (opts.members ?? 3); i++) members.push({ name: `n${i}`, client: await freePort(), peer: await freePort(), proc: undefined, output: '' });
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');

  const launch = (m: Member): void => {
    // a restarted member finds its WAL and ignores the initial-cluster flags
    const args = [
      '--name', m.name, '--data-dir', path.join(dir, m.name),
      '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
      '--initial-cluster', initial, '--initial-cluster-token', token, '--initial-cluster-state', 'new',
      '--heartbeat-interval', '50', '--election-timeout', '500', '--max-txn-ops', '10000', '--logger', 'zap', '--log-level', 'warn',
    ];
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      m.output = (m.output + d.toString()).slice(-OUTPUT_TAIL);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    running.add(p);
    p.once('exit', () => running.delete(p));
    m.proc = p;
  };
  const waitHealthy = async (ms: typeof members): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await Promise.all(ms.map((m) => healthy(m.client)));
      if (ok.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy:\n${ms.map((m) => `--- ${m.name}\n${m.output}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const p = members[i]!.proc;
    if (p === undefined) return;
    p.kill('SIGCONT');
    p.kill(signal);
    await exited(p);
  };
  let stopped = false;
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
    async stop() {
      if (stopped) return;
      stopped = true;
      // a member was seen ignoring SIGTERM for seconds: SIGKILL whatever is left after 2 s
      await Promise.all(
        members.map(async (m) => {
          const p = m.proc;
          if (p === undefined) return;
          p.kill('SIGCONT');
          p.kill('SIGTERM');
          const timer = setTimeout(() => p.kill('SIGKILL'), 2000);
          await exited(p);
          clearTimeout(timer);
        }),
      );
      fs.rmSync(dir, { recursive: true, force: true });
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
