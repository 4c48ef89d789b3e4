// Translate stage: Istio HTTPFaultInjection → the per-route override of envoy.filters.http.fault.
import type { FaultAbort, FaultDelay, HTTPFaultInjection } from '../../api/types.js';
import { fractionalPercent, istioDuration } from './envoy.js';
import { FAULT_TYPE, type Json } from './generator.js';

const GRPC_CODES: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
  DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** percentage (or the deprecated integer percent) → FractionalPercent; absent stays absent, as in Istio. */
function percent(p: { percentage?: { value: number }; percent?: number }): Json | undefined {
  if (p.percentage !== undefined) return fractionalPercent(p.percentage.value);
  if (p.percent !== undefined) return fractionalPercent(p.percent);
  return undefined;
}

function delay(d: FaultDelay): Json | undefined {
  // exponentialDelay has no Envoy equivalent (Istio drops it too)
  const fixed = istioDuration(d.fixedDelay);
  if (fixed === undefined) return undefined;
  const out: Json = { fixed_delay: fixed };
  const pct = percent(d);
  if (pct !== undefined) out.percentage = pct;
  return out;
}

function abort(a: FaultAbort): Json | undefined {
  const out: Json = {};
  if (a.httpStatus !== undefined) out.http_status = a.httpStatus;
  else if (a.grpcStatus !== undefined && GRPC_CODES[a.grpcStatus.toUpperCase()] !== undefined) out.grpc_status = GRPC_CODES[a.grpcStatus.toUpperCase()] ?? 2;
  else return undefined; // http2Error: the proxy's fault filter cannot reset streams with an error code
  const pct = percent(a);
  if (pct !== undefined) out.percentage = pct;
  return out;
}

/** The typed_per_filter_config entry value, or undefined when nothing translatable is set. */
export function faultConfig(f: HTTPFaultInjection | undefined): Json | undefined {
  if (f === undefined) return undefined;
  const d = f.delay !== undefined ? delay(f.delay) : undefined;
  const a = f.abort !== undefined ? abort(f.abort) : undefined;
  if (d === undefined && a === undefined) return undefined;
  const out: Json = { '@type': FAULT_TYPE };
  if (d !== undefined) out.delay = d;
  if (a !== undefined) out.abort = a;
  return out;
}
