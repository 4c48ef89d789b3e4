// Upstream LB: a host paired with its preallocated pick result, so pick() allocates nothing.
import type { Host, Pick } from '../types.js';

export interface Slot {
  readonly host: Host;
  readonly result: Pick;
}

export const FAIL: Pick = Object.freeze({ kind: 'fail' });

export function makeSlot(host: Host): Slot {
  return { host, result: Object.freeze({ kind: 'complete', host }) };
}

/** Random source in [0, 1); injectable so tests are deterministic. */
export type Random = () => number;
