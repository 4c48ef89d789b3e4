// Telemetry: the server.* gauges (uptime, live, state, memory, concurrency, version) computed when /stats is read.
import { flatName } from './stat-name.js';
import type { StatsSnapshot, ValueSnapshot } from './stats-snapshot.js';

export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING' | 'INITIALIZING';

/** Envoy's server.state gauge values. */
const STATE_CODE: Record<ServerState, number> = { LIVE: 0, DRAINING: 1, PRE_INITIALIZING: 2, INITIALIZING: 3 };

export interface ServerStatsInput {
  startTimeMs: number;
  nowMs: number;
  state: ServerState;
  concurrency: number;
  /** Contains a semver like 'trellis/0.1.0'; server.version becomes major*10000 + minor*100 + patch. */
  version: string;
  memory: { heapUsed: number; heapTotal: number; rss: number };
}

function versionNumber(v: string): number {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3]) : 0;
}

export function serverStatsSnapshot(i: ServerStatsInput): StatsSnapshot {
  const g = (name: string, value: number): ValueSnapshot => ({ segments: ['server', name], value, used: true });
  return {
    counters: [],
    gauges: [
      g('uptime', Math.max(0, Math.floor((i.nowMs - i.startTimeMs) / 1000))),
      g('live', i.state === 'LIVE' ? 1 : 0),
      g('state', STATE_CODE[i.state]),
      g('memory_allocated', i.memory.heapUsed),
      g('memory_heap_size', i.memory.heapTotal),
      g('memory_physical_size', i.memory.rss),
      g('concurrency', i.concurrency),
      g('version', versionNumber(i.version)),
      g('hot_restart_epoch', 0),
    ],
    histograms: [],
  };
}

/** Puts the primary's server.* gauges into merged worker stats, replacing same-named ones (they would add up). */
export function withServerStats(snap: StatsSnapshot, server: StatsSnapshot): StatsSnapshot {
  const replaced = new Set(server.gauges.map((g) => flatName(g.segments)));
  return {
    counters: [...snap.counters, ...server.counters],
    gauges: [...snap.gauges.filter((g) => !replaced.has(flatName(g.segments))), ...server.gauges],
    histograms: [...snap.histograms, ...server.histograms],
  };
}
