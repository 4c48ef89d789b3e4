// Admin: the server state Envoy reports (LIVE / DRAINING / PRE_INITIALIZING) and the /server_info body around it.
import type { ServerState } from '../telemetry/server-stats.js';

/** Tracks /healthcheck/fail and whether the source has ever been ready, to tell start-up from shutdown. */
export class ServerStateTracker {
  healthCheckFailed = false;
  private wasReady = false;

  constructor(private readonly ready: () => boolean) {}

  state(reported?: unknown): ServerState {
    if (this.healthCheckFailed) return 'DRAINING';
    const base: ServerState = isState(reported) ? reported : 'LIVE';
    if (this.ready()) {
      this.wasReady = true;
      return base;
    }
    if (base !== 'LIVE') return base;
    // Not ready after having been ready = shutting down; never ready = still starting.
    return this.wasReady ? 'DRAINING' : 'PRE_INITIALIZING';
  }
}

function isState(v: unknown): v is ServerState {
  return v === 'LIVE' || v === 'DRAINING' || v === 'PRE_INITIALIZING' || v === 'INITIALIZING';
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Seconds from a proto Duration string like '12s' or '1.5s'. */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** The source's server info with state and uptimes filled in as Envoy's admin.v3.ServerInfo has them. */
export function serverInfoBody(info: object, state: ServerState, adminStartMs: number, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...asRecord(info) };
  out.state = state;
  const fallback = `${Math.floor((nowMs - adminStartMs) / 1000)}s`;
  if (durationSeconds(out.uptime_current_epoch) === undefined) out.uptime_current_epoch = fallback;
  if (durationSeconds(out.uptime_all_epochs) === undefined) out.uptime_all_epochs = out.uptime_current_epoch;
  const opts = asRecord(out.command_line_options);
  out.command_line_options = { ...opts, concurrency: typeof opts.concurrency === 'number' ? opts.concurrency : 1 };
  if (typeof out.version !== 'string') out.version = 'trellis';
  return out;
}
