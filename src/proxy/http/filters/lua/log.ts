// HTTP filters (Lua): the scripts' log lines (handle:log*(), print, script errors) on stderr — Envoy's levels, a
// "[lua]" prefix, control characters escaped, and a rate bound so a chatty script cannot flood the proxy's log.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = 0 | 1 | 2 | 3 | 4 | 5;
export const LEVEL_INFO: LogLevel = 2;
export const LEVEL_ERROR: LogLevel = 4;

/** Longest message written (the rest is cut, with a marker). */
const MAX_MESSAGE = 4096;

/** Envoy's default level is info: trace and debug lines are dropped unless TRELLIS_LUA_LOG_LEVEL lowers it. */
export function levelFromEnv(v: string | undefined): LogLevel | 6 {
  if (v === undefined || v === '') return LEVEL_INFO;
  if (v === 'off') return 6;
  const i = LOG_LEVELS.indexOf((v === 'warn' ? 'warning' : v === 'err' ? 'error' : v) as (typeof LOG_LEVELS)[number]);
  return i < 0 ? LEVEL_INFO : (i as LogLevel);
}

/** Escapes control characters (a script's message must not forge log lines) and bounds the length. */
export function sanitize(message: string): string {
  let out = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...(truncated)` : message;
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(out)) {
    out = out.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  }
  return out;
}

/** A token bucket over all Lua log lines of the process: `perSecond` lines, bursts up to that many. */
export class ScriptLog {
  private tokens: number;
  private last: number;
  private suppressed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
    readonly threshold: number = levelFromEnv(process.env.TRELLIS_LUA_LOG_LEVEL),
    private readonly perSecond = 100,
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  enabled(level: LogLevel): boolean {
    return level >= this.threshold;
  }

  log(level: LogLevel, source: string, message: string): void {
    if (level < this.threshold) return;
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) * this.perSecond) / 1000);
    this.last = t;
    if (this.tokens < 1) {
      this.suppressed++;
      return;
    }
    this.tokens -= 1;
    if (this.suppressed > 0) {
      this.write(`[lua][warning] ${this.suppressed} script log lines suppressed (more than ${this.perSecond}/s)\n`);
      this.suppressed = 0;
    }
    this.write(`[lua][${LOG_LEVELS[level]}] ${source}: ${sanitize(message)}\n`);
  }
}

/** The process's script log. */
export const scriptLog = new ScriptLog((line) => void process.stderr.write(line));
