// CLI `trellis run`: the app as a child process in its own process group, so a terminal's Ctrl-C reaches only
// `trellis run`, which withdraws and drains the sidecar before it stops the app (the order a rolling update needs).
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AppProcess {
  readonly pid: number;
  readonly exited: Promise<AppExit>;
  /** SIGTERM to the app's process group, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs: number): Promise<AppExit>;
}

/** A shell's exit status for how the app ended: its code, or 128 + the signal number. */
export function exitStatus(e: AppExit): number {
  if (e.code !== null) return e.code;
  const n = e.signal !== null ? os.constants.signals[e.signal] : undefined;
  return n !== undefined ? 128 + n : 1;
}

export function startApp(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<AppProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(cmd, [...args], { env, stdio: 'inherit', detached: true });
    const exited = new Promise<AppExit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    // the group dies with us even when we end by an error: only SIGKILL of `trellis run` leaves the app running
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    const onExit = (): void => killGroup('SIGKILL');
    process.once('exit', onExit);
    void exited.then(() => process.off('exit', onExit));
    child.once('error', (e) => reject(new Error(`cannot start ${cmd}: ${e.message}`)));
    child.once('spawn', () =>
      resolve({
        pid: child.pid!,
        exited,
        stop: async (graceMs) => {
          killGroup('SIGTERM');
          const t = setTimeout(() => killGroup('SIGKILL'), graceMs);
          const e = await exited;
          clearTimeout(t);
          return e;
        },
      }),
    );
  });
}
