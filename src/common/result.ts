// Shared: the result type every validator returns, so one NACK or CLI error lists every problem.

/** One problem in a config document: where (a dotted path like `static_resources.clusters[2].lb_policy`) and why. */
export interface ConfigError {
  path: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errors: ConfigError[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(errors: ConfigError[]): Result<T> {
  return { ok: false, errors };
}

export function formatErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}
