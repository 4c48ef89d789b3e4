// Benchmark: child processes for the benchmarks — spawn node with the trellis CLI, wait for a line of its output, read its RSS and CPU time, stop it by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/main.js, next to this compiled file's dist/bench/. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');

export interface Child {
  proc: ChildProcess;
  pid: number;
  output(): string;
  /** The first capture group of `re` in the output; rejects after `timeoutMs` or when the process exits. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

/** `nodeArgs` go to node itself, before the script (--cpu-prof cannot travel in NODE_OPTIONS). */
export function startTrellis(name: string, args: readonly string[], nodeArgs: readonly string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name}: could not start`);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = (re: RegExp, timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      const poll = (): void => {
        const m = re.exec(out);
        if (m !== null) return resolve(m[1] ?? m[0]);
        if (proc.exitCode !== null || proc.signalCode !== null) return reject(new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}):\n${out}`));
        if (performance.now() > deadline) return reject(new Error(`${name}: no ${re} within ${timeoutMs} ms:\n${out}`));
        setTimeout(poll, 25);
      };
      poll();
    });
  const stop = (): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => {
          const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
          proc.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          proc.kill('SIGTERM');
        });
  return { proc, pid: proc.pid, output: () => out, waitFor, stop };
}

export interface Rss {
  /** VmRSS, MB. */
  rssMb: number;
  /** VmHWM (peak RSS so far), MB. */
  peakMb: number;
}

/** The process's resident set from /proc (what the peer benchmark reads too). */
export function rssOf(pid: number): Rss {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** CPU time (user + system) the process has used so far, seconds, from /proc/PID/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return ticks / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;
