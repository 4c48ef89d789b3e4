// API stage: Istio/protobuf duration strings ('1s', '100ms', '1.5s', '1h2m') to milliseconds.

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;

/**
 * Parse a duration the way Istio accepts it in YAML (Go time.ParseDuration syntax, no sign):
 * one or more `<number><unit>` parts, units h/m/s/ms/us/ns. Returns undefined when malformed.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '' || text === '0') return text === '0' ? 0 : undefined;
  PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return total;
}

/** Why `text` is not a usable Istio duration (malformed or under `minMs`, default 1ms as Istio requires), or undefined. */
export function durationError(text: unknown, minMs = 1): string | undefined {
  if (typeof text !== 'string') return `must be a duration string like "1s" or "100ms", got ${JSON.stringify(text)}`;
  const ms = parseDuration(text);
  if (ms === undefined) return `invalid duration "${text}" (expected e.g. "1s", "100ms", "1.5s")`;
  if (ms < minMs) return `duration "${text}" must be at least ${minMs}ms`;
  // Istio rejects sub-millisecond precision (Envoy timers are ms-granular).
  if (!Number.isInteger(ms)) return `duration "${text}": only durations to ms precision are supported`;
  return undefined;
}
