// E2E: layered_runtime through `trellis proxy -c` — a disk layer switches fault injection on and off by symlink swap,
// /runtime_modify overrides it (in one process and across workers), runtime_fraction routes follow runtime keys.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROUTER_FILTER, adminGet, httpBootstrap, request, staticCluster, startProxy, startUpstream, waitFor, type RunningProxy, type Upstream } from './harness.js';

const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const ABORT_KEY = 'fault.http.abort.abort_percent';

/** Runtime trees v100 and v0 (abort_percent 100 and 0, as in Envoy's fault-injection example) and `current` -> v100. */
function runtimeDir(): { root: string; link: string; swap(to: 'v100' | 'v0'): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-e2e-runtime-'));
  for (const [v, pct] of [['v100', '100'], ['v0', '0']] as const) {
    const dir = path.join(root, v, 'envoy', 'fault', 'http', 'abort');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'abort_percent'), `${pct}\n`);
  }
  const link = path.join(root, 'current');
  fs.symlinkSync(path.join(root, 'v100'), link);
  return {
    root,
    link,
    // the swap Envoy's docs describe: ln -s vN new && mv -Tf new current
    swap(to) {
      const tmp = path.join(root, 'new');
      fs.symlinkSync(path.join(root, to), tmp);
      fs.renameSync(tmp, link);
    },
  };
}

function bootstrap(link: string, a: Upstream, b: Upstream): object {
  return {
    ...httpBootstrap({
      clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port])],
      httpFilters: [
        {
          name: 'envoy.filters.http.fault',
          typed_config: {
            '@type': FAULT_TYPE,
            // only requests marked x-fault are candidates; the configured share is 0: the runtime decides
            headers: [{ name: 'x-fault', present_match: true }],
            abort: { http_status: 503, percentage: { numerator: 0, denominator: 'HUNDRED' } },
          },
        },
        ROUTER_FILTER,
      ],
      routeConfig: {
        name: 'local',
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              { match: { prefix: '/', runtime_fraction: { default_value: { numerator: 0 }, runtime_key: 'routing.to_b' } }, route: { cluster: 'b' } },
              { match: { prefix: '/' }, route: { cluster: 'a' } },
            ],
          },
        ],
      },
    }),
    layered_runtime: {
      layers: [
        { name: 'static', static_layer: { routing: { to_b: 100 } } },
        { name: 'disk', disk_layer: { symlink_root: link, subdirectory: 'envoy' } },
        { name: 'admin', admin_layer: {} },
      ],
    },
  };
}

/** Status codes of n fresh-connection requests marked for faults. */
async function faultStatuses(port: number, n = 6): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () => request(port, { headers: { 'x-fault': '1' } }).then((r) => r.status)));
}
const all = (codes: number[], s: number): boolean => codes.every((c) => c === s);

for (const concurrency of [1, 2]) {
  describe(`layered runtime (--concurrency ${concurrency})`, () => {
    let a: Upstream;
    let b: Upstream;
    let proxy: RunningProxy;
    let port: number;
    let rt: ReturnType<typeof runtimeDir>;

    before(async () => {
      rt = runtimeDir();
      a = await startUpstream('a');
      b = await startUpstream('b');
      proxy = await startProxy(bootstrap(rt.link, a, b), ['--concurrency', String(concurrency)]);
      port = proxy.listeners.get('ingress')!;
    });
    after(async () => {
      await proxy?.stop();
      await a?.close();
      await b?.close();
      fs.rmSync(rt.root, { recursive: true, force: true });
    });

    test('the disk layer turns the fault on; a symlink swap turns it off and on again', async () => {
      assert.deepEqual(await faultStatuses(port), [503, 503, 503, 503, 503, 503]);
      assert.equal((await request(port)).status, 200, 'requests without x-fault are not candidates');
      rt.swap('v0');
      await waitFor(async () => all(await faultStatuses(port), 200), 10000, 'faults off after the swap to v0');
      rt.swap('v100');
      await waitFor(async () => all(await faultStatuses(port), 503), 10000, 'faults on after the swap back');
    });

    test('POST /runtime_modify overrides the disk layer; an empty value removes the override', async () => {
      const r = await adminGet(proxy.adminPort, `/runtime_modify?${ABORT_KEY}=0`, 'POST');
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, 'OK\n');
      // workers learn of it by message: poll rather than assume it is instant
      await waitFor(async () => all(await faultStatuses(port), 200), 5000, 'faults off after runtime_modify');
      const dump = JSON.parse((await adminGet(proxy.adminPort, '/runtime')).body) as {
        layers: string[];
        entries: Record<string, { layer_values: string[]; final_value: string }>;
      };
      assert.deepEqual(dump.layers, ['static', 'disk', 'admin']);
      assert.deepEqual(dump.entries[ABORT_KEY], { layer_values: ['', '100', '0'], final_value: '0' });
      assert.deepEqual(dump.entries['routing.to_b'], { layer_values: ['100', '', ''], final_value: '100' });
      await adminGet(proxy.adminPort, `/runtime_modify?${ABORT_KEY}=`, 'POST');
      await waitFor(async () => all(await faultStatuses(port), 503), 5000, 'faults back on after removing the override');
    });

    test('a runtime_fraction route follows its runtime_key', async () => {
      assert.equal((await request(port)).headers['x-upstream'], 'b', 'static layer routing.to_b = 100');
      await adminGet(proxy.adminPort, '/runtime_modify?routing.to_b=0', 'POST');
      await waitFor(async () => {
        const ups = await Promise.all(Array.from({ length: 6 }, () => request(port).then((r) => r.headers['x-upstream'])));
        return ups.every((u) => u === 'a');
      }, 5000, 'routing.to_b = 0 sends everything to a');
    });

    test('runtime_modify needs POST and at least one key', async () => {
      assert.equal((await adminGet(proxy.adminPort, `/runtime_modify?${ABORT_KEY}=0`)).status, 405);
      assert.equal((await adminGet(proxy.adminPort, '/runtime_modify', 'POST')).status, 400);
    });
  });
}
