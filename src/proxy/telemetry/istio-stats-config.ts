// Telemetry: istio.stats config (HTTP and TCP filters) — Istio's stats.PluginConfig (inside a TypedStruct) validated once, errors with paths.
import { readDuration, type Ctx, type Raw } from '../config/reader.js';
import { parseDimension, type DimensionExpr } from '../../common/istio-dimension.js';
import { ISTIO_COUNTERS, ISTIO_HISTOGRAMS, ISTIO_LABELS, type IstioLabel } from './istio-metrics.js';

export const ISTIO_STATS_TYPE = 'type.googleapis.com/stats.PluginConfig' as const;

export type { DimensionExpr };

export interface MetricConfig {
  /** Istio's short name ('requests_total') or '' for every metric. */
  readonly name: string;
  readonly dimensions: Readonly<Record<string, DimensionExpr>>;
  readonly tagsToRemove: readonly string[];
  readonly drop: boolean;
}

export interface IstioStatsConfig {
  readonly '@type': typeof ISTIO_STATS_TYPE;
  /** SERVER_GATEWAY/UNSPECIFIED as Istio; trellis also takes CLIENT/SERVER (its filters do not see the listener direction). */
  readonly reporter: 'UNSPECIFIED' | 'SERVER_GATEWAY' | 'CLIENT' | 'SERVER';
  readonly disableHostHeaderFallback: boolean;
  readonly metrics: readonly MetricConfig[];
  /** How often a TCP connection's counters are reported while it stays open (Istio's default: 5 s). */
  readonly tcpReportingMs: number;
}

export const DEFAULT_TCP_REPORTING_MS = 5000;

const FIELDS = new Set(['reporter', 'disable_host_header_fallback', 'metrics', 'tcp_reporting_duration', 'stat_prefix', 'debug']);
const NOT_IMPLEMENTED = new Set(['definitions', 'rotation_interval', 'graceful_deletion_interval']);
const METRIC_FIELDS = new Set(['name', 'dimensions', 'tags_to_remove', 'drop']);
const SHORT_NAMES = new Set([...ISTIO_COUNTERS, ...ISTIO_HISTOGRAMS].map((n) => n.replace(/^istio_/, '')));

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateMetric(ctx: Ctx, raw: unknown, path: string): MetricConfig | undefined {
  if (!isObj(raw)) return void ctx.err(path, 'must be an object');
  for (const k of Object.keys(raw)) if (!METRIC_FIELDS.has(k)) ctx.err(`${path}.${k}`, k === 'match' ? 'metric match is not supported by trellis' : 'unknown field');
  const name = raw['name'] ?? '';
  if (typeof name !== 'string') ctx.err(`${path}.name`, 'must be a string');
  else if (name !== '' && !SHORT_NAMES.has(name)) ctx.err(`${path}.name`, `unknown metric "${name}" (custom metrics need definitions, which trellis does not implement)`);
  const dimensions: Record<string, DimensionExpr> = {};
  const dims = raw['dimensions'] ?? {};
  if (!isObj(dims)) ctx.err(`${path}.dimensions`, 'must be a map of tag to CEL expression');
  else
    for (const [tag, v] of Object.entries(dims)) {
      if (typeof v !== 'string') {
        ctx.err(`${path}.dimensions.${tag}`, 'must be a string');
        continue;
      }
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(tag)) ctx.err(`${path}.dimensions.${tag}`, 'tag names are [a-zA-Z_][a-zA-Z0-9_]*');
      const d = parseDimension(v);
      if (typeof d === 'string') ctx.err(`${path}.dimensions.${tag}`, d);
      else dimensions[tag] = d;
    }
  const rm = raw['tags_to_remove'] ?? [];
  const tagsToRemove: string[] = [];
  if (!Array.isArray(rm)) ctx.err(`${path}.tags_to_remove`, 'must be a list');
  else rm.forEach((t, i) => (typeof t === 'string' ? tagsToRemove.push(t) : ctx.err(`${path}.tags_to_remove[${i}]`, 'must be a string')));
  const drop = raw['drop'] ?? false;
  if (typeof drop !== 'boolean') ctx.err(`${path}.drop`, 'must be a boolean');
  return { name: typeof name === 'string' ? name : '', dimensions, tagsToRemove, drop: drop === true };
}

export function validateIstioStats(ctx: Ctx, body: Raw, path: string): IstioStatsConfig | undefined {
  const raw: unknown = body;
  if (!isObj(raw)) return void ctx.err(path, 'must be an object');
  const before = ctx.errors.length;
  for (const k of Object.keys(raw)) {
    if (k === '@type') continue;
    if (NOT_IMPLEMENTED.has(k)) ctx.err(`${path}.${k}`, `stats.PluginConfig.${k} is not implemented by trellis`);
    else if (!FIELDS.has(k)) ctx.err(`${path}.${k}`, 'unknown field of stats.PluginConfig');
  }
  const reporter = raw['reporter'] ?? 'UNSPECIFIED';
  if (reporter !== 'UNSPECIFIED' && reporter !== 'SERVER_GATEWAY' && reporter !== 'CLIENT' && reporter !== 'SERVER')
    ctx.err(`${path}.reporter`, 'must be UNSPECIFIED, SERVER_GATEWAY, CLIENT or SERVER');
  const fb = raw['disable_host_header_fallback'] ?? false;
  if (typeof fb !== 'boolean') ctx.err(`${path}.disable_host_header_fallback`, 'must be a boolean');
  const list = raw['metrics'] ?? [];
  const metrics: MetricConfig[] = [];
  if (!Array.isArray(list)) ctx.err(`${path}.metrics`, 'must be a list');
  else list.forEach((m, i) => {
    const v = validateMetric(ctx, m, `${path}.metrics[${i}]`);
    if (v) metrics.push(v);
  });
  let tcpReportingMs = DEFAULT_TCP_REPORTING_MS;
  if (raw['tcp_reporting_duration'] !== undefined) {
    const ms = readDuration(ctx, raw['tcp_reporting_duration'], `${path}.tcp_reporting_duration`);
    if (ms !== undefined && ms < 100) ctx.err(`${path}.tcp_reporting_duration`, 'must be at least 100ms');
    else if (ms !== undefined) tcpReportingMs = ms;
  }
  if (ctx.errors.length > before) return undefined;
  return { '@type': ISTIO_STATS_TYPE, reporter: reporter as IstioStatsConfig['reporter'], disableHostHeaderFallback: fb === true, metrics, tcpReportingMs };
}

export function isIstioLabel(t: string): t is IstioLabel {
  return (ISTIO_LABELS as readonly string[]).includes(t);
}
