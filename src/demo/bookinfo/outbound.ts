// Demo app: calls to other services through the workload's own sidecar (TRELLIS_OUTBOUND, an HTTP proxy), with the
// headers Istio asks apps to forward so routing rules, traces and the request id follow the request.
import http from 'node:http';

/** Istio's list of headers an app must copy from the request it serves to the calls it makes. */
export const FORWARDED_HEADERS = ['end-user', 'user-agent', 'x-request-id', 'traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'b3', 'x-ot-span-context', 'cookie'];

export function forwardedHeaders(from: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of FORWARDED_HEADERS) {
    const v = from[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

/** The sidecar's outbound address `trellis run` gave the app. */
export function outbound(): URL {
  const v = process.env.TRELLIS_OUTBOUND;
  if (v === undefined || v === '') throw new Error('TRELLIS_OUTBOUND is not set: start this app with `trellis run`');
  return new URL(v);
}

export interface CallResult {
  status: number;
  body: string;
}

/** GET http://SERVICE:PORT/PATH through the sidecar (absolute-form request line, as any HTTP proxy client sends it). */
export function getThroughMesh(url: string, headers: Record<string, string>, timeoutMs: number): Promise<CallResult> {
  const proxy = outbound();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: proxy.hostname, port: Number(proxy.port), path: url, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d.length + body.length > 1 << 20 ? '' : d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
