// Benchmark: fixed-rate HTTP/1.1 load — `rate` req/s for `durationS` over `conns` keep-alive connections, evenly spaced, a bounded number of requests.
import http from 'node:http';

export interface RateLoadOptions {
  port: number;
  /** Host header (a sidecar's outbound listener routes by it). */
  host?: string;
  rate: number;
  durationS: number;
  conns: number;
}

export interface RateLoadResult {
  requests: number;
  ok: number;
  errors: number;
  /** Requests/s actually completed over the wall time. */
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/**
 * Sends exactly rate × durationS requests; request i is due at i/rate s after the start (the loop catches up in a
 * batch after a late timer). Requests beyond `conns` in flight wait in the agent's queue, so nothing is dropped.
 */
export async function rateLoad(o: RateLoadOptions): Promise<RateLoadResult> {
  const total = Math.round(o.rate * o.durationS);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.conns, maxFreeSockets: o.conns });
  const latencies = new Float64Array(total);
  let ok = 0;
  let errors = 0;
  let done = 0;
  let allDone: (() => void) | undefined;
  const finished = new Promise<void>((r) => (allDone = r));
  const finish = (i: number, started: number, good: boolean): void => {
    latencies[i] = performance.now() - started;
    if (good) ok++;
    else errors++;
    if (++done === total) allDone?.();
  };
  const send = (i: number): void => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port: o.port, path: '/', agent, headers: o.host !== undefined ? { host: o.host } : {} }, (res) => {
      res.resume();
      res.on('end', () => finish(i, started, res.statusCode === 200));
      res.on('error', () => finish(i, started, false));
    });
    req.on('error', () => finish(i, started, false));
    req.end();
  };
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * o.rate) / 1000) + 1);
    while (sent < due) send(sent++);
    await tick();
  }
  await finished;
  const wallS = (performance.now() - t0) / 1000;
  agent.destroy();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { requests: total, ok, errors, achievedRps: total / wallS, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}
