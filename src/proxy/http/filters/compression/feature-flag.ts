// HTTP filters (compression): config.core.v3.RuntimeFeatureFlag — validated once, read from the runtime per request.
import { Ctx, Msg } from '../../../config/reader.js';
import type { RuntimeSnapshot } from '../../../runtime-config/snapshot.js';

export interface FeatureFlag {
  readonly default_value: boolean;
  readonly runtime_key: string;
}

/** Envoy's FeatureFlag for an unset message: enabled, with no runtime key. */
export const ALWAYS_ON: FeatureFlag = { default_value: true, runtime_key: '' };

/** A RuntimeFeatureFlag; both fields are required when the message is given (Envoy's PGV rules). */
export function validateFeatureFlag(ctx: Ctx, raw: unknown, path: string): FeatureFlag | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.RuntimeFeatureFlag', fields: ['default_value', 'runtime_key'] });
  if (m === undefined) return undefined;
  const hasDefault = m.require('default_value');
  const def = m.bool('default_value');
  const key = m.reqStr('runtime_key');
  if (!hasDefault || def === undefined || key === '') return undefined;
  return { default_value: def, runtime_key: key };
}

/** The flag's value now: the runtime key's boolean when the runtime has one, else the default. */
export function flagEnabled(flag: FeatureFlag, runtime: RuntimeSnapshot | undefined): boolean {
  if (runtime === undefined || flag.runtime_key === '') return flag.default_value;
  return runtime.getBoolean(flag.runtime_key, flag.default_value);
}
