// CLI: runs a verb's action and turns any failure into stderr lines and exit status 1 (server errors one per line, as the contract asks).
import { ApiFailure, CommandFailure, Unreachable, UsageError } from './client.js';
import { InvalidFiles } from './files.js';
import type { Io } from './io.js';

/** Prints what went wrong; every error the server gave gets its own line so scripts can grep them. */
export function reportError(io: Io, err: unknown): void {
  if (err instanceof ApiFailure) {
    const n = err.errors.length;
    io.err(`error: the control plane rejected the request (HTTP ${err.status}, ${n} error${n === 1 ? '' : 's'}):\n`);
    for (const e of err.errors) io.err(`${e.path !== undefined ? `${e.path}: ` : ''}${e.message}\n`);
  } else if (err instanceof InvalidFiles) {
    io.err(`error: ${err.message}; nothing was sent:\n`);
    for (const e of err.errors) io.err(`${e.path}: ${e.message}\n`);
  } else if (err instanceof Unreachable || err instanceof UsageError || err instanceof CommandFailure) {
    io.err(`error: ${err.message}\n`);
  } else {
    io.err(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  io.fail();
}

/** Wraps an async action so commander never sees a rejection: the verb's own report decides the output. */
export function guarded<A extends unknown[]>(io: Io, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(io, err);
    }
  };
}
