// Demo: a steady, light load on the product page through the gateway (so the graph, `trellis top` and the
// dashboard have something to show), summed up in one line every report period.
import http from 'node:http';

export interface TrafficWindow {
  requests: number;
  /** Count per HTTP status, or per error ("connect ECONNREFUSED …") when there was no response. */
  outcomes: Map<string, number>;
  /** Count per reviews version that answered (reviews-v1 …). */
  versions: Map<string, number>;
  /** Pages on which a backend was unavailable (details, reviews, ratings). */
  degraded: Map<string, number>;
}

export function emptyWindow(): TrafficWindow {
  return { requests: 0, outcomes: new Map(), versions: new Map(), degraded: new Map() };
}

const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

/** Adds one answer (status and page) or failure to the window. */
export function record(w: TrafficWindow, status: number | string, body: string): void {
  w.requests++;
  bump(w.outcomes, String(status));
  const v = /Reviews served by: <b>(reviews-v\d+)<\/b>/.exec(body);
  if (v !== null) bump(w.versions, v[1]!);
  for (const m of body.matchAll(/(details|reviews|ratings) unavailable/g)) bump(w.degraded, m[1]!);
}

const list = (m: Map<string, number>): string => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');

/** e.g. `traffic: 20 requests in 10s — 200: 20 · reviews-v1 7, reviews-v2 6, reviews-v3 7`. */
export function summary(w: TrafficWindow, seconds: number): string {
  if (w.requests === 0) return `traffic: no requests in ${seconds}s`;
  const parts = [`${[...w.outcomes].map(([k, n]) => `${k}: ${n}`).join(', ')}`];
  if (w.versions.size > 0) parts.push(list(w.versions));
  if (w.degraded.size > 0) parts.push(`unavailable on the page: ${list(w.degraded)}`);
  return `traffic: ${w.requests} requests in ${seconds}s — ${parts.join(' · ')}`;
}

export interface TrafficGenerator {
  stop(): void;
}

/** GETs `url` `rps` times a second; every `reportMs` hands `report` the window's summary. */
export function startTraffic(url: string, rps: number, reportMs: number, report: (line: string) => void): TrafficGenerator {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let w = emptyWindow();
  const once = (): void => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body.length < 65536 ? (body += d) : undefined));
      res.on('end', () => record(w, res.statusCode ?? 0, body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e: NodeJS.ErrnoException) => record(w, e.code ?? e.message, ''));
  };
  const tick = setInterval(once, Math.max(1, Math.round(1000 / rps)));
  const reporter = setInterval(() => {
    report(summary(w, Math.round(reportMs / 1000)));
    w = emptyWindow();
  }, reportMs);
  return {
    stop: () => {
      clearInterval(tick);
      clearInterval(reporter);
      agent.destroy();
    },
  };
}
