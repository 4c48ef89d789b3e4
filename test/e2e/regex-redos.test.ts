// E2E: regexes from config (route header safe_regex) and from the admin query (/stats?filter=) run on RE2 in a real proxy: a pattern that backtracks exponentially in JS answers at once.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { adminGet, httpBootstrap, request, startProxy, type Reply, type RunningProxy } from './harness.js';

const EVIL = '^(a+)+$';
const RUN = 'a'.repeat(40);
// A stat prefix with a long run of 'a', so `(a+)+$` would backtrack on every stat name that contains it.
const LONG_PREFIX = `${RUN}_ingress`;

/** The proxy of the running test; each test has its own, so one that freezes cannot fail the other. */
let proxy: RunningProxy | undefined;

/** Fails if `p` has not settled within `ms` (a frozen proxy never answers). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** A proxy whose first route matches header x-evil with EVIL; every other request gets "rest". */
async function startRegexProxy(): Promise<{ proxy: RunningProxy; port: number }> {
  const p = await startProxy(
    httpBootstrap({
      clusters: [],
      hcm: { stat_prefix: LONG_PREFIX },
      routeConfig: {
        name: 'local',
        virtual_hosts: [
          {
            name: 'main',
            domains: ['*'],
            routes: [
              {
                match: { prefix: '/', headers: [{ name: 'x-evil', string_match: { safe_regex: { regex: EVIL } } }] },
                direct_response: { status: 200, body: { inline_string: 'evil' } },
              },
              { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'rest' } } },
            ],
          },
        ],
      },
    }),
  );
  proxy = p;
  return { proxy: p, port: p.listeners.get('ingress')! };
}

// stop() sends SIGTERM, then SIGKILL after 5 s: a proxy frozen by a regex is still cleaned up.
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
});

test('a catastrophic safe_regex header matcher answers within 100 ms', async () => {
  const { port } = await startRegexProxy();
  assert.equal((await within(5000, request(port, { path: '/warm' }), 'warm-up')).body, 'rest'); // connection set-up and JIT out of the timing
  const t0 = performance.now();
  const r = await within(5000, request(port, { path: '/x', headers: { 'x-evil': `${RUN}!` } }), 'route match');
  const ms = performance.now() - t0;
  assert.equal(r.body, 'rest');
  assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
  assert.equal((await within(5000, request(port, { path: '/x', headers: { 'x-evil': RUN } }), 'route match')).body, 'evil');
});

test('/stats?filter= is RE2: a catastrophic filter answers, a bad one is a 400, SIGTERM still stops the proxy', async () => {
  const { proxy: p, port } = await startRegexProxy();
  await within(5000, request(port, { path: '/x' }), 'request');
  const get = (filter: string): Promise<Reply> => within(5000, adminGet(p.adminPort, `/stats?filter=${encodeURIComponent(filter)}`), `/stats?filter=${filter}`);
  const all = await get('');
  assert.ok(all.body.includes(`http.${LONG_PREFIX}.`), 'the long stat names exist');

  const evil = await get('(a+)+$');
  assert.equal(evil.status, 200);
  // Partial match, as in Envoy: a plain word selects every name containing it.
  const some = await get(`${RUN}_ingress\\.downstream_rq_total$`);
  assert.equal(some.body.trim(), `http.${LONG_PREFIX}.downstream_rq_total: 1`);

  const bad = await get('(a)\\1');
  assert.equal(bad.status, 400);
  assert.match(bad.body, /^invalid RE2 regex "\(a\)\\\\1": .*back-references/);

  const exited = new Promise<number | null>((resolve) => p.proc.once('exit', (c) => resolve(c)));
  p.proc.kill('SIGTERM');
  const code = await within(5000, exited, 'exit after SIGTERM');
  assert.equal(code, 0);
});
