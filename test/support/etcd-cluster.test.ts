// Tests: the loopback etcd cluster harness — quorum with a member killed, a restarted member catching up, nothing left after stop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ETCD_MISSING, startEtcdCluster, type EtcdCluster } from './etcd-cluster.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** etcd 3.4's gRPC gateway (JSON over HTTP, keys and values base64). */
async function call(endpoint: string, method: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`http://${endpoint}/v3/kv/${method}`, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(2000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} on ${endpoint}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const put = (endpoint: string, key: string, value: string): Promise<unknown> => call(endpoint, 'put', { key: b64(key), value: b64(value) });

async function get(endpoint: string, key: string): Promise<string | undefined> {
  const { kvs } = (await call(endpoint, 'range', { key: b64(key) })) as { kvs?: { value?: string }[] };
  const value = kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

/** Retries `fn` until it returns without throwing, or rethrows its last error at the deadline. */
async function eventually<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The etcd processes serving `endpoints`, found in /proc rather than taken from the harness's own bookkeeping. */
function etcdProcesses(endpoints: string[]): { pid: number; dataDir: string }[] {
  const found: { pid: number; dataDir: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited while we looked
    }
    const client = argv[argv.indexOf('--listen-client-urls') + 1];
    if (!argv.includes('--listen-client-urls') || !endpoints.some((e) => client === `http://${e}`)) continue;
    found.push({ pid: Number(entry), dataDir: argv[argv.indexOf('--data-dir') + 1]! });
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('etcd cluster harness', { skip: ETCD_MISSING, timeout: 60_000 }, () => {
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await startEtcdCluster();
  });
  after(() => cluster?.stop());

  it('starts three healthy members on distinct loopback ports', async () => {
    assert.equal(cluster.endpoints.length, 3);
    assert.match(cluster.storeUrl, /^etcd:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    assert.equal(cluster.storeUrl, `etcd://${cluster.endpoints.join(',')}`);
    assert.equal(new Set(cluster.endpoints).size, 3);
    for (let i = 0; i < 3; i++) assert.equal(await cluster.healthy(i), true, `member ${i}`);
  });

  it('replicates a put on one member to another', async () => {
    await put(cluster.endpoints[0]!, 'k', 'one');
    assert.equal(await get(cluster.endpoints[1]!, 'k'), 'one');
  });

  it('keeps quorum with a member killed, and the restarted member catches up', async () => {
    const [member0] = etcdProcesses([cluster.endpoints[0]!]);
    await cluster.kill(0);
    assert.equal(alive(member0!.pid), false, 'kill resolves once the process has exited');
    assert.equal(await cluster.healthy(0), false);
    // a put that reaches a follower before it notices the leader died can hang for etcd's request timeout: retry
    await eventually(() => put(cluster.endpoints[1]!, 'k', 'two'), 15_000);
    assert.equal(await get(cluster.endpoints[2]!, 'k'), 'two');

    await cluster.restart(0);
    assert.equal(await cluster.healthy(0), true);
    assert.equal(await get(cluster.endpoints[0]!, 'k'), 'two', 'the restarted member has the write it missed');
  });

  it('stop leaves no etcd process and no data dir, and can be called again', async () => {
    const procs = etcdProcesses(cluster.endpoints);
    assert.equal(procs.length, 3, 'one process per member, none left over from the restart');
    await cluster.stop();
    for (const { pid, dataDir } of procs) {
      assert.equal(alive(pid), false, `etcd pid ${pid} still running`);
      assert.equal(fs.existsSync(path.dirname(dataDir)), false, `${path.dirname(dataDir)} still there`);
    }
    assert.deepEqual(etcdProcesses(cluster.endpoints), []);
    await cluster.stop();
  });
});
