// CLI: `trellis ca root` prints the mesh's trusted root(s) in PEM; `trellis ca rotate` replaces the root with no failed request.
import type { Command } from 'commander';
import { parseDuration } from '../api/duration.js';
import { ApiClient, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { guarded } from './run.js';

type Step = 'trust' | 'activate' | 'retire';

interface RotationStatus {
  phase: 'stable' | 'overlap' | 'activated';
  roots: { fingerprint: string; active: boolean }[];
  next: Step;
  waiting: { proxy: string; lacks: string }[];
}

interface RotateFlags extends ServerFlags {
  step?: string;
  timeout: string;
}

const DONE: Record<Step, string> = {
  trust: 'the mesh trusts the current root and a new one',
  activate: 'the new root signs workload certificates',
  retire: 'the old root is no longer trusted',
};

const short = (fp: string | undefined): string => (fp ?? '').slice(0, 23);

export function registerCaCommand(program: Command, io: Io): void {
  const ca = program.command('ca').description('the mesh certificate authority');
  withServerFlags(ca.command('root').description('print the trusted root certificate(s) in PEM')).action(
    guarded(io, async (flags: ServerFlags) => {
      const r = await new ApiClient(flags, io).get<{ trustDomain: string; rootsPem: string }>('/api/v1/ca/root');
      io.out(r.rootsPem);
    }),
  );
  withServerFlags(
    ca
      .command('rotate')
      .description('replace the mesh root: trust old and new together, sign with the new one once every proxy trusts it, retire the old one once every workload renewed')
      .option('--step <step>', 'take only this step (trust | activate | retire) instead of all remaining ones')
      .option('--timeout <duration>', 'how long to wait for the mesh to catch up after each step', '5m'),
  ).action(
    guarded(io, async (flags: RotateFlags) => {
      const timeoutMs = parseDuration(flags.timeout);
      if (timeoutMs === undefined || timeoutMs <= 0) throw new Error(`--timeout must be a duration like "5m", got "${flags.timeout}"`);
      if (flags.step !== undefined && !['trust', 'activate', 'retire'].includes(flags.step)) throw new Error(`--step must be trust, activate or retire, got "${flags.step}"`);
      const api = new ApiClient(flags, io);
      let st = await api.get<RotationStatus>('/api/v1/ca/rotation');
      const steps: Step[] = flags.step !== undefined ? [flags.step as Step] : (['trust', 'activate', 'retire'] as Step[]).slice(st.phase === 'stable' ? 0 : ['trust', 'activate', 'retire'].indexOf(st.next));
      for (const step of steps) {
        st = await api.post<RotationStatus>('/api/v1/ca/rotation', { step });
        io.out(`step ${step}: ${DONE[step]} (active root ${short(st.roots.find((r) => r.active)?.fingerprint)})\n`);
        st = await caughtUp(api, timeoutMs, io);
      }
      if (st.phase === 'stable') io.out(`root rotation done: the mesh trusts only ${short(st.roots[0]?.fingerprint)}\n`);
    }),
  );
}

/** Polls the rotation status until no connected proxy is waiting; fails naming the stragglers after `timeoutMs`. */
async function caughtUp(api: ApiClient, timeoutMs: number, io: Io): Promise<RotationStatus> {
  const deadline = Date.now() + timeoutMs;
  let said = -1;
  for (;;) {
    const st = await api.get<RotationStatus>('/api/v1/ca/rotation');
    if (st.waiting.length === 0) return st;
    if (st.waiting.length !== said) io.out(`  waiting for ${st.waiting.length} prox${st.waiting.length === 1 ? 'y' : 'ies'}: ${st.waiting.slice(0, 3).map((w) => `${w.proxy} (${w.lacks})`).join(', ')}${st.waiting.length > 3 ? ', …' : ''}\n`);
    said = st.waiting.length;
    if (Date.now() > deadline) throw new Error(`the mesh did not catch up within the timeout; waiting for: ${st.waiting.map((w) => w.proxy).join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
