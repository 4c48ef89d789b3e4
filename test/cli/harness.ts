// Test helper: runs `trellis` verbs in-process (injected Io) or as a real child process, capturing stdout, stderr and the exit status.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { Io } from '../../src/cli/io.js';
import { registerMeshCommands } from '../../src/cli/mesh.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** <out>/src/cli/main.js next to this compiled <out>/test/cli/harness.js. */
export const CLI = path.resolve(here, '../../src/cli/main.js');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
}

/** In-process: a fresh program with the mesh verbs, commander told to throw instead of exiting. */
export async function run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: Io = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    readStdin: () => Promise.resolve(opts.stdin ?? ''),
    env: { USER: 'tester', ...opts.env },
    fail: () => void (code = 1),
  };
  const program = new Command().name('trellis').exitOverride();
  program.configureOutput({ writeOut: (t) => void (stdout += t), writeErr: (t) => void (stderr += t) });
  registerMeshCommands(program, io);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: (t) => void (stdout += t), writeErr: (t) => void (stderr += t) });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    code = err.exitCode;
  }
  return { stdout, stderr, code };
}

/** As a user runs it: `node <out>/src/cli/main.js …`. */
export function runChild(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, USER: 'tester', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A URL nothing listens on: a port the OS just handed out and took back. */
export async function deadUrl(): Promise<string> {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
