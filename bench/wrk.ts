// Benchmark: wrk's maximum throughput (Debian's wrk), parsed from its report: over keep-alive connections, or with
// `newConnections` a connection per request (Connection: close), which measures per-connection costs.
import { execFile } from 'node:child_process';

export interface WrkResult {
  rps: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number;
}

export function wrk(port: number, host: string, conns: number, durationS: number, newConnections = false): Promise<WrkResult> {
  const close = newConnections ? ['-H', 'Connection: close'] : [];
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${conns}`, `-d${durationS}s`, '-H', `Host: ${host}`, ...close, `http://127.0.0.1:${port}/`], (err, stdout) => {
      if (err !== null) return reject(new Error(`wrk failed (install Debian's wrk): ${err.message}`));
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const errors = non2xx + (sock === null ? 0 : sock.slice(1).reduce((n, x) => n + Number(x), 0));
      resolve({ rps, requests, errors });
    });
  });
}
