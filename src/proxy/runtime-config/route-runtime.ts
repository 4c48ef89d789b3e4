// Runtime: a RuntimeFractionalPercent (runtime_fraction) resolved against the runtime, for callers that draw in [0,1).
import type { RuntimeFractionalPercent } from '../config/types.js';
import type { RuntimeSource } from './snapshot.js';

/** The probability a runtime_fraction (e.g. a request_mirror_policies entry) has now: the runtime_key's value, else the default. */
export function resolveRuntimeFraction(runtime: RuntimeSource | undefined, rf: RuntimeFractionalPercent): number {
  return runtime === undefined || rf.runtime_key === undefined || rf.runtime_key === '' ? rf.fraction : runtime.snapshot().fraction(rf.runtime_key, rf.fraction);
}
