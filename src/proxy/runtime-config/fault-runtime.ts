// Runtime: the fault filter's runtime overrides (fault.http.*), as a pure function of a snapshot and the filter config.
import type { FaultConfig } from '../config/types.js';
import { FAULT_RUNTIME_KEYS } from '../http/filters/fault/config.js';
import type { RuntimeSnapshot } from './snapshot.js';

/** The part of a snapshot the fault filter reads. */
export type FaultRuntimeReader = Pick<RuntimeSnapshot, 'getInteger' | 'fraction'>;

/** What a request's fault decision uses once runtime is applied. Fractions are probabilities in [0,1]. */
export interface FaultRuntimeValues {
  abortFraction: number;
  httpStatus: number | undefined;
  grpcStatus: number | undefined;
  delayFraction: number;
  /** fixed_delay after runtime; undefined for header-controlled delays (the header gives the duration). */
  delayMs: number | undefined;
  /** undefined = no limit. */
  maxActiveFaults: number | undefined;
}

/**
 * Envoy's fault filter reads, per request: the abort/delay percentages (fault.http.abort.abort_percent,
 * fault.http.delay.fixed_delay_percent: an integer percent or a FractionalPercent), the abort status codes, the
 * fixed delay in ms and max_active_faults, each through the config's `*_runtime` key when set. When the request
 * names its downstream cluster (x-envoy-downstream-service-cluster), the fault.http.<cluster>.* keys apply: for
 * the percentages they replace the global keys; for durations and statuses they override them.
 * A runtime status outside its range (HTTP 200–599, gRPC 0–16) is ignored.
 */
export function faultRuntime(runtime: FaultRuntimeReader | undefined, config: FaultConfig, downstreamCluster?: string): FaultRuntimeValues {
  const a = config.abort;
  const d = config.delay;
  const out: FaultRuntimeValues = {
    abortFraction: a?.percentage ?? 0,
    httpStatus: a?.http_status,
    grpcStatus: a?.grpc_status,
    delayFraction: d?.percentage ?? 0,
    delayMs: d?.fixed_delay,
    maxActiveFaults: config.max_active_faults,
  };
  if (runtime === undefined) return out;
  const dc = downstreamCluster !== undefined && downstreamCluster !== '' ? `fault.http.${downstreamCluster}.` : undefined;
  if (a !== undefined) {
    out.abortFraction = runtime.fraction(dc !== undefined ? `${dc}abort.abort_percent` : (config.abort_percent_runtime ?? FAULT_RUNTIME_KEYS.abort_percent_runtime), a.percentage);
    if (a.http_status !== undefined) {
      let s = runtime.getInteger(config.abort_http_status_runtime ?? FAULT_RUNTIME_KEYS.abort_http_status_runtime, a.http_status);
      if (dc !== undefined) s = runtime.getInteger(`${dc}abort.http_status`, a.http_status);
      out.httpStatus = s >= 200 && s <= 599 ? s : a.http_status;
    }
    if (a.grpc_status !== undefined) {
      let s = runtime.getInteger(config.abort_grpc_status_runtime ?? FAULT_RUNTIME_KEYS.abort_grpc_status_runtime, a.grpc_status);
      if (dc !== undefined) s = runtime.getInteger(`${dc}abort.grpc_status`, a.grpc_status);
      out.grpcStatus = s <= 16 ? s : a.grpc_status;
    }
  }
  if (d !== undefined) {
    out.delayFraction = runtime.fraction(dc !== undefined ? `${dc}delay.fixed_delay_percent` : (config.delay_percent_runtime ?? FAULT_RUNTIME_KEYS.delay_percent_runtime), d.percentage);
    if (d.fixed_delay !== undefined) {
      let ms = runtime.getInteger(config.delay_duration_runtime ?? FAULT_RUNTIME_KEYS.delay_duration_runtime, d.fixed_delay);
      if (dc !== undefined) ms = runtime.getInteger(`${dc}delay.fixed_duration_ms`, ms);
      out.delayMs = ms;
    }
  }
  const max = runtime.getInteger(config.max_active_faults_runtime ?? FAULT_RUNTIME_KEYS.max_active_faults_runtime, config.max_active_faults ?? Infinity);
  out.maxActiveFaults = Number.isFinite(max) ? max : undefined;
  return out;
}

/**
 * The config a request is decided with: `config` with the runtime's values in place (the same object when the
 * runtime changes nothing), so a filter written against FaultConfig applies runtime with one call.
 */
export function faultWithRuntime(runtime: FaultRuntimeReader | undefined, config: FaultConfig, downstreamCluster?: string): FaultConfig {
  if (runtime === undefined) return config;
  const v = faultRuntime(runtime, config, downstreamCluster);
  const a = config.abort;
  const d = config.delay;
  const abortSame = a === undefined || (v.abortFraction === a.percentage && v.httpStatus === a.http_status && v.grpcStatus === a.grpc_status);
  const delaySame = d === undefined || (v.delayFraction === d.percentage && v.delayMs === d.fixed_delay);
  if (abortSame && delaySame && v.maxActiveFaults === config.max_active_faults) return config;
  const out: FaultConfig = { ...config };
  if (a !== undefined && !abortSame) {
    out.abort = { ...a, percentage: v.abortFraction };
    if (v.httpStatus !== undefined) out.abort.http_status = v.httpStatus;
    if (v.grpcStatus !== undefined) out.abort.grpc_status = v.grpcStatus;
  }
  if (d !== undefined && !delaySame) {
    out.delay = { ...d, percentage: v.delayFraction };
    if (v.delayMs !== undefined) out.delay.fixed_delay = v.delayMs;
  }
  if (v.maxActiveFaults === undefined) delete out.max_active_faults;
  else out.max_active_faults = v.maxActiveFaults;
  return out;
}
