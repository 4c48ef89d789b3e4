// CLI: the process boundary of the mesh verbs (stdout, stderr, stdin, environment, exit status), injectable so tests run verbs in-process.
import os from 'node:os';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  /** Marks the command as failed (exit status 1) without stopping it; output already written still flushes. */
  fail(): void;
}

/** The real process. Exit status goes through process.exitCode so pending stdout is not cut off by process.exit(). */
export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    fail: () => {
      process.exitCode = 1;
    },
  };
}

/** `$USER`, else the OS account name, else 'unknown' (containers sometimes have neither). */
export function defaultAuthor(env: Io['env']): string {
  if (env.USER !== undefined && env.USER !== '') return env.USER;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
