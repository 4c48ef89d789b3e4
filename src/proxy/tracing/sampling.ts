// Tracing: Envoy's sampling decision (forced, client, random, overall) and the trace bit it keeps in x-request-id.
import type { HeaderMap } from '../router/types.js';

export type TraceReason = 'forced' | 'client' | 'sampled' | 'not_traceable';

export interface SamplingPercents {
  clientSampling: number;
  randomSampling: number;
  overallSampling: number;
}

/** Envoy marks the decision in the UUID's version nibble (character 14) so later hops can reuse it. */
const STATUS_CHAR: Record<TraceReason, string> = { forced: 'a', client: 'b', sampled: '9', not_traceable: '4' };

function isUuid(id: string): boolean {
  return id.length === 36 && id[8] === '-' && id[13] === '-' && id[18] === '-' && id[23] === '-';
}

/** The request id's first 32 bits as a number in [0, 10000): the same request id gives the same draw on every hop. */
export function requestIdDraw(id: string): number | undefined {
  if (!isUuid(id)) return undefined;
  const n = parseInt(id.slice(0, 8), 16);
  return Number.isNaN(n) ? undefined : n % 10000;
}

export function requestIdStatus(id: string): TraceReason | undefined {
  if (!isUuid(id)) return undefined;
  switch (id[14]) {
    case 'a':
      return 'forced';
    case 'b':
      return 'client';
    case '9':
      return 'sampled';
    default:
      return undefined;
  }
}

export function withRequestIdStatus(id: string, reason: TraceReason): string {
  if (!isUuid(id)) return id;
  return id.slice(0, 14) + STATUS_CHAR[reason] + id.slice(15);
}

/**
 * Envoy's decision: x-envoy-force-trace (from an internal client) forces; x-client-trace-id enables at
 * client_sampling; else random_sampling (drawn from the request id when there is one); overall_sampling
 * then gates anything but a forced trace.
 */
export function decide(h: HeaderMap, requestId: string, internalClient: boolean, p: SamplingPercents, random: () => number, useRequestId: boolean): TraceReason {
  const prior = useRequestId ? requestIdStatus(requestId) : undefined;
  let reason: TraceReason;
  if (prior !== undefined) reason = prior;
  else if (internalClient && h['x-envoy-force-trace'] !== undefined) reason = 'forced';
  else if (h['x-client-trace-id'] !== undefined && random() * 100 < p.clientSampling) reason = 'client';
  else {
    const draw = useRequestId ? requestIdDraw(requestId) : undefined;
    const x = draw !== undefined ? draw : Math.floor(random() * 10000);
    reason = x < p.randomSampling * 100 ? 'sampled' : 'not_traceable';
  }
  if (reason !== 'forced' && reason !== 'not_traceable' && !(random() * 100 < p.overallSampling)) reason = 'not_traceable';
  return reason;
}
