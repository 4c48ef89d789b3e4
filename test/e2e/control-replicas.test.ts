// E2E: two `trellis control` replicas on a real 3-member etcd cluster, two sidecars under steady traffic. Killing a replica
// with SIGKILL fails no request and its proxies move to the other within seconds; config applied through either replica
// reaches every proxy, also with an etcd member down; with every replica stopped the proxies keep serving, and a new
// replica resyncs them; a replica cut off from etcd refuses writes with 503 and says why.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, cli, proxies, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';
import { freePort } from '../../src/common/free-port.js';
import { ETCD_MISSING, startEtcdCluster, type EtcdCluster } from '../support/etcd-cluster.js';

const WEB = 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec:\n  selector: { app: web }\n  ports: [{ name: http, port: 8080 }]\n';
const header = (value: string): string =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: web }\nspec:\n  hosts: [web]\n  http:\n  - route: [{ destination: { host: web } }]\n    headers: { response: { set: { x-config: ${value} } } }\n`;

describe('control-plane replicas on etcd', { skip: ETCD_MISSING, timeout: 180_000 }, () => {
  let etcd: EtcdCluster;
  let keyDir: string;
  const controls: Control[] = [];
  const sidecars: Sidecar[] = [];
  let app: Upstream;

  const replica = async (opts: { xdsTlsPort?: number; endpoints?: string; extraArgs?: string[] } = {}): Promise<Control> => {
    const c = await startControl({
      ...(opts.xdsTlsPort !== undefined ? { xdsTlsPort: opts.xdsTlsPort } : {}),
      extraArgs: ['--store', opts.endpoints ?? etcd.storeUrl, '--store-key-file', path.join(keyDir, 'store.key'), '--registration-grace', '10s', ...(opts.extraArgs ?? [])],
    });
    controls.push(c);
    return c;
  };

  before(async () => {
    etcd = await startEtcdCluster({ members: 3 });
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-key-'));
    fs.writeFileSync(path.join(keyDir, 'store.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
    app = await startUpstream('web-v1');
  });
  after(async () => {
    for (const s of sidecars) await s.stop();
    for (const c of controls) await c.stop();
    await app?.close();
    await etcd?.stop();
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  it('survives losing a replica, an etcd member, and every replica', async (t) => {
    const r1 = await replica();
    const r2 = await replica();
    const standbyPort = await freePort();
    const list = `127.0.0.1:${r1.xdsTlsPort},127.0.0.1:${r2.xdsTlsPort},127.0.0.1:${standbyPort}`;
    // r1 is listed first: both sidecars start on it; their root and token come from r2 (any replica's work for all)
    const web = await startSidecar(r2, { service: 'web', labels: 'app=web,version=v1', servicePort: 8080, appPort: app.port, extraArgs: ['--control-plane', list] });
    sidecars.push(web);
    const client = await startSidecar(r2, { service: 'client', labels: 'app=client', servicePort: 9090, extraArgs: ['--control-plane', list] });
    sidecars.push(client);
    assert.equal((await applyYaml(r1, WEB)).code, 0, 'apply through r1');
    assert.equal((await applyYaml(r2, header('one'))).code, 0, 'apply through r2');
    const config = async (): Promise<string | undefined> => {
      const res = await request(client.outboundPort, { path: '/', host: 'web:8080' });
      return res.status === 200 ? String(res.headers['x-config']) : `status ${res.status}`;
    };
    await waitFor(async () => (await config()) === 'one', 20_000, 'config applied through r2 served by sidecars on r1');
    await waitFor(async () => (await proxies(r1, true)).filter((p) => p.status === 'SYNCED').length === 2, 10_000, 'both sidecars on r1');

    // steady traffic from here on; every answer must be a 200
    let stop = false;
    const failures: string[] = [];
    let sent = 0;
    const traffic = (async () => {
      while (!stop) {
        const res = await request(client.outboundPort, { path: '/', host: 'web:8080' }).catch((e: Error) => ({ status: 0, body: e.message, headers: {} }));
        sent++;
        if (res.status !== 200) failures.push(`${res.status} ${String(res.body).slice(0, 120)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // kill -9 the replica both sidecars are on
    const killedAt = Date.now();
    r1.proc.kill('SIGKILL');
    await waitFor(async () => (await proxies(r2, true)).filter((p) => p.status === 'SYNCED').length === 2, 10_000, 'both sidecars on r2');
    const moved = Date.now() - killedAt;
    assert.ok(moved < 5000, `the sidecars took ${moved} ms to move to r2`);
    t.diagnostic(`both sidecars synced on r2 ${moved} ms after r1 was killed`);

    // config keeps converging; and with an etcd member down too
    assert.equal((await applyYaml(r2, header('two'))).code, 0);
    await waitFor(async () => (await config()) === 'two', 10_000, 'an apply after the failover');
    await etcd.kill(0);
    assert.equal((await applyYaml(r2, header('three'))).code, 0, 'writes go on with one etcd member down');
    await waitFor(async () => (await config()) === 'three', 10_000, 'an apply with an etcd member down');
    await etcd.restart(0);

    // past the registration grace: no endpoint was withdrawn, the sidecars hold it on r2's leases now
    await new Promise((r) => setTimeout(r, 11_000));
    stop = true;
    await traffic;
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${sent} requests failed`);
    assert.ok(sent > 100, `only ${sent} requests were sent`);
    t.diagnostic(`${sent} requests during the failover, ${failures.length} failed`);

    // every replica gone: the last config keeps serving; a new replica (on the standby port) resyncs the sidecars
    await r2.stop();
    assert.equal(await config(), 'three', 'the last config keeps serving with no control plane');
    const r3 = await replica({ xdsTlsPort: standbyPort });
    await waitFor(async () => (await proxies(r3, true)).filter((p) => p.status === 'SYNCED').length === 2, 30_000, 'both sidecars on the new replica');
    assert.equal((await applyYaml(r3, header('four'))).code, 0);
    await waitFor(async () => (await config()) === 'four', 15_000, 'an apply through the new replica');
  });

  it('a replica cut off from etcd refuses writes and says so; the others go on', async () => {
    // this replica talks to member 2 only; freezing that member cuts it off while the other two keep a quorum
    const lonely = await replica({ endpoints: `etcd://${etcd.endpoints[2]}` });
    const other = controls.find((c) => c !== lonely && c.proc.exitCode === null && c.proc.signalCode === null)!;
    etcd.pause(2);
    try {
      const res = await applyYaml(lonely, header('five'));
      assert.notEqual(res.code, 0);
      assert.match(res.stderr + res.stdout, /503|unavailable/i);
      assert.equal((await applyYaml(other, header('six'))).code, 0, 'a replica that reaches etcd still writes');
    } finally {
      etcd.resume(2);
    }
  });

  it('metrics: each replica scrapes its own proxies, any replica answers for the whole mesh and names one that does not answer', async () => {
    const rA = await replica({ extraArgs: ['--metrics-interval', '1s'] });
    const rB = await replica({ extraArgs: ['--metrics-interval', '1s'] });
    const ids = [`127.0.0.1:${rA.httpPort}`, `127.0.0.1:${rB.httpPort}`];
    // the server is on rB, its client on rA: inbound (destination-reported) metrics exist on rB only
    const server = await startUpstream('api');
    const api = await startSidecar(rB, { service: 'api', labels: 'app=api', servicePort: 7070, appPort: server.port });
    sidecars.push(api);
    const caller = await startSidecar(rA, { service: 'caller', labels: 'app=caller', servicePort: 7071 });
    sidecars.push(caller);
    assert.equal((await applyYaml(rA, 'apiVersion: v1\nkind: Service\nmetadata: { name: api }\nspec:\n  selector: { app: api }\n  ports: [{ name: http, port: 7070 }]\n')).code, 0);
    try {
      await waitFor(async () => (await request(caller.outboundPort, { path: '/', host: 'api:7070' })).status === 200, 20_000, 'caller reaches api');
      type Answer = { items: { name: string; requestRate: number; mtlsRate: number | null }[]; replicas?: { answered: string[]; unreachable: { replica: string; error: string }[] } };
      const statsOn = async (c: Control): Promise<Answer> => {
        const res = await fetch(`${c.url}/api/v1/stats?namespace=default&name=api`, { headers: { authorization: `Bearer ${c.token()}` } });
        assert.equal(res.status, 200);
        return (await res.json()) as Answer;
      };
      // rA alone saw only the caller's (source-reported) side; the mTLS share comes from the server's side, on rB
      let last: Answer | undefined;
      await waitFor(
        async () => {
          await request(caller.outboundPort, { path: '/', host: 'api:7070' });
          last = await statsOn(rA);
          // a replica that lost etcd earlier (the test before) learns rA's admin token once its watch is back
          return last.items[0]?.mtlsRate === 1 && last.replicas?.unreachable.length === 0;
        },
        45_000,
        'rA answers with what rB scraped',
        300,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; last answer: ${JSON.stringify(last)}`);
      });
      for (const id of ids) assert.ok(last!.replicas!.answered.includes(id), `${id} answered: ${JSON.stringify(last!.replicas)}`);
      // proxy-status through rA lists rB's proxies too, each with the replica it is connected to; proxy-config is
      // answered by the replica holding the stream
      const ps = await cli(rA, ['proxy-status']);
      assert.equal(ps.code, 0, ps.stderr);
      assert.match(ps.stdout, /CONTROL PLANE/);
      const row = (name: string): string => ps.stdout.split('\n').find((l) => l.includes(name)) ?? `no ${name} row in\n${ps.stdout}`;
      assert.match(row('api'), new RegExp(`127\\.0\\.0\\.1:${rB.httpPort}`));
      assert.match(row('caller'), new RegExp(`127\\.0\\.0\\.1:${rA.httpPort}`));
      const apiId = (await proxies(rB, true))[0]!.id;
      const pc = await cli(rA, ['proxy-config', 'clusters', apiId]);
      assert.equal(pc.code, 0, pc.stderr);
      assert.match(pc.stdout, /7070 +- +inbound/);
      // a tap through rA reaches the api proxy on rB: its (destination-side) events are relayed
      const tapAbort = new AbortController();
      const tapRes = await fetch(`${rA.url}/api/v1/tap?target=api&namespace=default`, { headers: { authorization: `Bearer ${rA.token()}` }, signal: AbortSignal.any([tapAbort.signal, AbortSignal.timeout(20_000)]) });
      assert.equal(tapRes.status, 200);
      assert.ok(Number(tapRes.headers.get('x-trellis-tap-proxies')) >= 1, `tapped ${tapRes.headers.get('x-trellis-tap-proxies')} proxies`);
      const sending = setInterval(() => void request(caller.outboundPort, { path: '/tapped', host: 'api:7070' }).catch(() => undefined), 100);
      try {
        const event = await (async () => {
          let text = '';
          for await (const chunk of tapRes.body! as AsyncIterable<Uint8Array>) {
            text += Buffer.from(chunk).toString('utf8');
            for (const line of text.split('\n')) {
              const e = line.startsWith('{"') ? (JSON.parse(line) as { reporter?: string; path?: string; proxy?: string }) : undefined;
              if (e?.reporter === 'destination' && e.path === '/tapped') return e;
            }
          }
          return undefined;
        })().catch((e: Error) => assert.fail(`no tap event from the proxy on rB: ${e.message}`));
        assert.ok(event !== undefined, 'a destination-side tap event from the proxy on rB');
      } finally {
        clearInterval(sending);
        tapAbort.abort();
      }

      // the rotation status through rA waits for rB's stragglers too; none of them is a replica
      const rotation = async (): Promise<{ proxy: string; lacks: string }[]> =>
        ((await (await fetch(`${rA.url}/api/v1/ca/rotation`, { headers: { authorization: `Bearer ${rA.token()}` } })).json()) as { waiting: { proxy: string; lacks: string }[] }).waiting;
      assert.ok(!(await rotation()).some((w) => w.proxy.startsWith('control-plane replica')), 'both replicas answered, on the same roots');

      // a replica killed outright stays listed until its lease runs out: the answer says its part is missing
      rB.proc.kill('SIGKILL');
      const partial = await statsOn(rA);
      assert.deepEqual(partial.replicas!.unreachable.map((u) => u.replica), [ids[1]]);
      const top = await cli(rA, ['top', '--once', '-n', 'default', 'api']);
      assert.equal(top.code, 0, top.stderr);
      assert.match(top.stdout, new RegExp(`Note: replica 127\\.0\\.0\\.1:${rB.httpPort} did not answer`));
      // and a root rotation does not go on as if rB's proxies had caught up
      const waiting = await rotation();
      assert.ok(waiting.some((w) => w.proxy === `control-plane replica ${ids[1]}` && /the proxies connected to it are not known/.test(w.lacks)), JSON.stringify(waiting));
    } finally {
      await server.close();
    }
  });
});
