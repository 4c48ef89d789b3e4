// E2E: property-based fuzzing of one real `trellis proxy` with malformed HTTP/1.1 heads, chunked bodies and HTTP/2 frames.
// FUZZ_SEED=n picks another seed; FUZZ_RUNS=k multiplies the number of runs (for longer local hunts).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { request, startProxy, startUpstream, waitFor, type RunningProxy, type Upstream } from './harness.js';
import { chunkedCase, h1HeadCase, h2Case, type FuzzCase } from './fuzz-inputs.js';
import { checkH1Responses, checkH2Frames, type Verdict } from './wire-check.js';

const SEED = Number(process.env.FUZZ_SEED ?? 42);
/** FUZZ_STATS=1 prints how the cases were answered, to see what the generators reach. */
const STATS = process.env.FUZZ_STATS === '1';
const seenOutcomes = new Map<string, number>();
const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_RUNS ?? 1) * 40));
/** Cases in flight at once: each property run is one batch, so a failing batch still shrinks to one case. */
const BATCH = 8;
/** Longest wait for an answer or a close: well above the proxy's header, route and idle timeouts below (0.3-1 s). */
const DEADLINE_MS = 4000;

let backend: Upstream;
let proxy: RunningProxy;
let port: number;

/** examples/front-proxy.yaml in shape (fault + router filters, two virtual hosts, a weighted split with retries), with short timeouts. */
function frontProxy(backendPort: number): object {
  const cluster = (name: string): object => ({
    name,
    type: 'STATIC',
    connect_timeout: '0.25s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: backendPort } } } }] }] },
  });
  const healthz = { match: { prefix: '/healthz' }, direct_response: { status: 200, body: { inline_string: 'ok\n' } } };
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'ingress_http',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'ingress_http',
                    codec_type: 'AUTO',
                    request_headers_timeout: '0.5s',
                    // Short, so the HTTP/2 sessions nghttp2 terminated on a connection error (Node then stops
                    // reading and never drops them) are ended by the idle timers within the deadline.
                    stream_idle_timeout: '0.5s',
                    common_http_protocol_options: { idle_timeout: '0.3s' },
                    upgrade_configs: [{ upgrade_type: 'websocket' }],
                    route_config: {
                      name: 'local_routes',
                      virtual_hosts: [
                        {
                          name: 'api',
                          domains: ['api.example.com', 'api.example.com:10000'],
                          routes: [
                            healthz,
                            {
                              match: { prefix: '/v1/' },
                              route: {
                                weighted_clusters: { clusters: [{ name: 'backend_a', weight: 1 }, { name: 'backend_b', weight: 2 }] },
                                timeout: '1s',
                                retry_policy: { retry_on: '5xx,connect-failure,refused-stream', num_retries: 2, per_try_timeout: '0.5s' },
                              },
                            },
                          ],
                        },
                        {
                          name: 'default',
                          domains: ['*'],
                          routes: [
                            healthz,
                            { match: { prefix: '/static/' }, route: { cluster: 'backend_a', prefix_rewrite: '/', timeout: '1s' } },
                            { match: { prefix: '/' }, route: { cluster: 'backend_b', timeout: '1s' } },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: 'envoy.filters.http.fault',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
                          abort: { header_abort: {}, percentage: { numerator: 100, denominator: 'HUNDRED' } },
                        },
                      },
                      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [cluster('backend_a'), cluster('backend_b')],
    },
  };
}

before(async () => {
  console.log(`fuzz seed: ${SEED} (${RUNS} runs of up to ${BATCH} connections per property)`);
  backend = await startUpstream('backend');
  proxy = await startProxy(frontProxy(backend.port));
  port = proxy.listeners.get('ingress_http')!;
});

after(async () => {
  await proxy?.stop();
  await backend?.close();
});

interface Exchange {
  data: Buffer;
  closed: boolean;
  verdict: Verdict;
}

/**
 * Sends one case on a new connection and reads until `judge` says answered, the proxy closes, or the
 * deadline passes. Resets count as closes.
 */
function exchange(c: FuzzCase, judge: (data: Buffer, closed: boolean) => Verdict): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const data = Buffer.concat(chunks);
      resolve({ data, closed, verdict: judge(data, closed) });
    };
    const timer = setTimeout(() => finish(false), DEADLINE_MS);
    s.on('connect', () => {
      for (const w of c.writes) s.write(w);
      if (c.halfClose) s.end();
    });
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      const v = judge(Buffer.concat(chunks), false);
      if (v.answered || !v.wellFormed) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', (e: NodeJS.ErrnoException) => {
      // ECONNREFUSED: the proxy is gone, which runBatch reports with its output.
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ECONNREFUSED') finish(true);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}

const show = (c: FuzzCase): string => JSON.stringify(Buffer.concat(c.writes).toString('latin1').slice(0, 1500));

/** A normal request through the backend, or the error that stopped it. */
async function probe(): Promise<{ status: number; body: string } | Error> {
  try {
    return await request(port, { path: '/alive' });
  } catch (e) {
    return e as Error;
  }
}

/** The proxy answers a normal request with 200; if not, the failure names the batch and the proxy's last words. */
async function assertServing(cases: FuzzCase[]): Promise<void> {
  const r = await probe();
  if (!(r instanceof Error) && r.status === 200) return;
  // A crash is often still on its way out: give the process a moment to exit and flush its output.
  await waitFor(() => proxy.proc.exitCode !== null || proxy.proc.signalCode !== null, 1000, 'exit').catch(() => {});
  const what = r instanceof Error ? r.message : `${r.status}: ${r.body}`;
  assert.fail(`a normal request after this batch got ${what} (proxy exit ${proxy.proc.exitCode}):\n${cases.map(show).join('\n')}\n${proxy.output().slice(-3000)}`);
}

/** A proxy that a failing run crashed is replaced, so fast-check can shrink the crash to one case. */
async function ensureProxy(): Promise<void> {
  const r = await probe();
  if (!(r instanceof Error) && r.status === 200) return;
  await proxy.stop();
  proxy = await startProxy(frontProxy(backend.port));
  port = proxy.listeners.get('ingress_http')!;
}

/** One property run: a batch of cases on parallel connections, then the proxy must still serve. */
async function runBatch(cases: FuzzCase[], kind: 'h1' | 'h2'): Promise<void> {
  await ensureProxy();
  const results = await Promise.all(
    cases.map((c) => {
      const firstIsHead = Buffer.concat(c.writes).toString('latin1', 0, 5) === 'HEAD ';
      const judge = kind === 'h2'
        ? (d: Buffer, closed: boolean): Verdict => {
            // A mangled preface is HTTP/1.1 to the AUTO codec.
            if (d.toString('latin1', 0, 5) === 'HTTP/') return checkH1Responses(d, closed, false);
            const v = checkH2Frames(d, closed);
            return { ...v, answered: false }; // HTTP/2: wait for the close that must follow the client's FIN
          }
        : (d: Buffer, closed: boolean): Verdict => checkH1Responses(d, closed, firstIsHead);
      return exchange(c, judge).then((x) => ({ c, x }));
    }),
  );
  // First: the proxy has read everything this batch sent (a crash shows here, pinned on this batch).
  await assertServing(cases);
  for (const { c, x } of results) {
    if (STATS) {
      const key = x.verdict.statuses.length > 0 ? x.verdict.statuses.join('+') : x.data.length > 0 && kind === 'h2' ? 'h2 frames' : 'nothing';
      seenOutcomes.set(key, (seenOutcomes.get(key) ?? 0) + 1);
    }
    const what = `${show(c)} (half-close ${c.halfClose}) -> ${JSON.stringify(x.data.toString('latin1').slice(0, 600))}`;
    assert.ok(x.verdict.wellFormed, `malformed answer (${x.verdict.why}): ${what}`);
    assert.ok(x.verdict.answered || x.closed, `neither answered nor closed within ${DEADLINE_MS} ms: ${what}`);
    const finalStatus = x.verdict.statuses.find((s) => s >= 200);
    if (finalStatus !== undefined) assert.ok(finalStatus < 300 || finalStatus >= 400, `unexpected status ${finalStatus}: ${what}`);
  }
}

/** Runs one property; a failure reports the shrunk batch and the assertion that failed on it. */
async function fuzz(arb: fc.Arbitrary<FuzzCase>, kind: 'h1' | 'h2'): Promise<void> {
  // Batches shrink down to the one case that fails.
  const batches = fc.array(arb, { minLength: 1, maxLength: BATCH });
  const details = await fc.check(fc.asyncProperty(batches, (cases) => runBatch(cases, kind)), { seed: SEED, numRuns: RUNS });
  if (STATS) {
    console.log(`outcomes (${kind}): ${[...seenOutcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    seenOutcomes.clear();
  }
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    assert.fail(`fuzz seed ${SEED} failed after ${details.numRuns} runs (shrunk ${details.numShrinks} times, path ${details.counterexamplePath}):\n${cause}`);
  }
}

test('fuzz (a): malformed HTTP/1.1 request heads', () => fuzz(h1HeadCase, 'h1'));

test('fuzz (b): malformed chunked request bodies', () => fuzz(chunkedCase, 'h1'));

test('fuzz (c): HTTP/2 frame sequences after the preface', () => fuzz(h2Case, 'h2'));
