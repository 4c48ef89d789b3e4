// Control plane / config store: typed store errors, so callers (HTTP API, CLI) can map them to statuses.
import { formatErrors, type ConfigError } from '../../common/result.js';

export type StoreErrorCode =
  /** A CAS condition failed (global ifRevision or a per-key ifModRevision) — HTTP 409. */
  | 'CONFLICT'
  /** The commit was rejected by the store's own checks or the caller's validator — HTTP 400/422. */
  | 'INVALID'
  /** A revision argument is negative, not an integer, or newer than the store (etcd: "future revision"). */
  | 'BAD_REVISION'
  | 'LEASE_NOT_FOUND'
  /** The shared store (etcd) cannot be reached: writes are refused, reads show the last state this replica saw — HTTP 503. */
  | 'UNAVAILABLE'
  | 'CLOSED';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /** For INVALID: every problem, each `path` starting with the resource key. */
  readonly errors: readonly ConfigError[];

  constructor(code: StoreErrorCode, message: string, errors: readonly ConfigError[] = []) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.errors = errors;
  }

  static invalid(errors: readonly ConfigError[]): StoreError {
    return new StoreError('INVALID', `commit rejected:\n${formatErrors(errors)}`, errors);
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
