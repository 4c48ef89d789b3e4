// The CA replicas share through sealed secrets: one root for all (checked by `openssl verify` across replicas), a data
// dir's root carried over, an organisation's files winning, and a root rotation by one replica followed by the others.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCa, type OpenedCa } from '../../../src/control/ca/ca-state.js';
import { RootRotation, RotationError } from '../../../src/control/ca/rotation.js';
import { CA_ACTIVE, CA_NEXT } from '../../../src/control/ca/shared-ca.js';
import { pemBlocks } from '../../../src/control/ca/material.js';
import { generateRoot } from '../../../src/control/ca/root.js';
import { createCsr } from '../../../src/common/pki/csr.js';
import { MemorySecretStore } from '../../../src/control/cluster/memory-secret-store.js';
import { sealSecrets } from '../../../src/control/cluster/sealed-secrets.js';
import type { SecretStore } from '../../../src/control/cluster/secret-store.js';
import type { CertificateAuthority } from '../../../src/control/ca/authority.js';
import { until } from '../xds/ads-client.js';
import { StoreError } from '../../../src/control/store/errors.js';

const TD = 'cluster.local';
const REVIEWS = { namespace: 'default', serviceAccount: 'reviews' };
let dir: string;
let n = 0;

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function write(text: string): string {
  const p = path.join(dir, `f${n++}.pem`);
  fs.writeFileSync(p, text);
  return p;
}

/** A leaf from `ca`, checked by openssl against `rootPem` alone: whether it verifies. */
async function verifiesAgainst(ca: CertificateAuthority, rootPem: string): Promise<boolean> {
  const { csrPem } = await createCsr();
  const leaf = pemBlocks((await ca.sign(csrPem, REVIEWS)).certChainPem)[0]!;
  try {
    return /: OK/.test(openssl(['verify', '-CAfile', write(rootPem), write(leaf)]));
  } catch {
    return false;
  }
}

const sharedStore = (): { inner: MemorySecretStore; secrets: SecretStore } => {
  const inner = new MemorySecretStore();
  return { inner, secrets: sealSecrets(inner, randomBytes(32)) };
};

interface Replica {
  opened: OpenedCa;
  rotation: RootRotation;
  trustChanges: number;
  logs: string[];
  stop: () => void;
}

type Lock = <T>(step: () => Promise<T>) => Promise<T>;

/** What EtcdStore.exclusively gives the replicas, in-process: one holder, the others refused at once. */
function refusingLock(): Lock {
  let held = false;
  return async (step) => {
    if (held) throw new RotationError('another control-plane replica is taking a rotation step right now; try again');
    held = true;
    try {
      return await step();
    } finally {
      held = false;
    }
  };
}

async function replica(secrets: SecretStore, opts: { dataDir?: string; follow?: boolean; lock?: Lock } = {}): Promise<Replica> {
  const logs: string[] = [];
  const log = (m: string): void => void logs.push(m);
  const opened = await openCa({ trustDomain: TD, secrets, log, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
  const r: Replica = { opened, logs, trustChanges: 0, rotation: undefined as unknown as RootRotation, stop: () => {} };
  r.rotation = new RootRotation({
    ca: opened.ca,
    ...(opened.persist !== undefined ? { persist: opened.persist } : {}),
    ...(opened.next !== undefined ? { next: opened.next } : {}),
    ...(opened.shared !== undefined ? { shared: opened.shared } : {}),
    trustChanged: () => {
      r.trustChanges++;
    },
    connected: () => [],
    lastSent: () => undefined,
    acked: () => false,
    ...(opts.lock !== undefined ? { acrossReplicas: opts.lock } : {}),
    log,
  });
  if (opts.follow !== false) r.stop = r.rotation.followShared();
  return r;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-shared-ca-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a CA shared through the secret store', () => {
  it('two replicas opening at once share one root; certificates of each verify against the other\'s root (openssl)', async () => {
    const { inner, secrets } = sharedStore();
    const [a, b] = await Promise.all([openCa({ trustDomain: TD, secrets, log: () => {} }), openCa({ trustDomain: TD, secrets, log: () => {} })]);
    assert.equal(a.ca.rootsPem(), b.ca.rootsPem());
    assert.equal(pemBlocks(a.ca.rootsPem()).length, 1);
    assert.ok(await verifiesAgainst(a.ca, b.ca.rootsPem()), 'A\'s leaf against B\'s root');
    assert.ok(await verifiesAgainst(b.ca, a.ca.rootsPem()), 'B\'s leaf against A\'s root');
    // and the one a stranger generated does not verify them (openssl really checks)
    assert.equal(await verifiesAgainst(a.ca, (await generateRoot(TD)).certPem), false);
    // kept sealed: the private key is nowhere in the store's bytes
    const raw = (await inner.get(CA_ACTIVE))!.toString();
    assert.equal(raw.includes('PRIVATE KEY'), false);
    assert.equal(await inner.get(CA_NEXT), undefined);
  });

  it('the first replica offers the root its data dir kept (a mesh moving onto a shared store keeps its root); later ones use it', async () => {
    const { secrets } = sharedStore();
    const dirA = path.join(dir, 'a');
    const dirB = path.join(dir, 'b');
    const oldA = await openCa({ trustDomain: TD, dataDir: dirA, log: () => {} });
    const oldB = await openCa({ trustDomain: TD, dataDir: dirB, log: () => {} });
    const a = await replica(secrets, { dataDir: dirA });
    const b = await replica(secrets, { dataDir: dirB });
    assert.equal(a.opened.ca.rootsPem(), oldA.ca.rootsPem());
    assert.equal(b.opened.ca.rootsPem(), oldA.ca.rootsPem());
    assert.notEqual(b.opened.ca.rootsPem(), oldB.ca.rootsPem());
    assert.ok(a.logs.some((l) => l.includes(`the replicas share the root kept in ${path.join(dirA, 'ca')}`)));
    assert.ok(!b.logs.some((l) => l.includes('the replicas share the root kept')), 'B found one shared already');
    a.stop();
    b.stop();
  });

  it('an organisation\'s CA files win: nothing is read from or written to the shared secrets', async () => {
    const { inner, secrets } = sharedStore();
    const org = await generateRoot('example.org');
    const files = { caCert: write(org.certPem), caKey: write(org.keyPem), rootCert: write(org.certPem) };
    const opened = await openCa({ trustDomain: TD, files, secrets, log: () => {} });
    assert.equal(opened.ca.rootsPem().trim(), org.certPem.trim());
    assert.equal(opened.persist, undefined);
    assert.equal(opened.shared, undefined);
    assert.deepEqual(await inner.list(''), []);
  });

  it('two replicas asked for the same step at the same instant: one takes it, the other is refused, and both end with one new root', async () => {
    const { inner, secrets } = sharedStore();
    const lock = refusingLock();
    const a = await replica(secrets, { lock });
    const b = await replica(secrets, { lock });
    const [ra, rb] = await Promise.allSettled([a.rotation.step('trust'), b.rotation.step('trust')]);
    const outcomes = [ra.status, rb.status].sort();
    assert.deepEqual(outcomes, ['fulfilled', 'rejected']);
    const refused = (ra.status === 'rejected' ? ra : rb) as PromiseRejectedResult;
    assert.ok(refused.reason instanceof RotationError && /another control-plane replica/.test(refused.reason.message));
    const next = (await inner.get(CA_NEXT)) !== undefined;
    assert.ok(next, 'the pending root is stored');
    for (const r of [a, b]) await until(() => r.rotation.status().phase === 'overlap');
    assert.equal(a.opened.ca.rootsPem(), b.opened.ca.rootsPem(), 'one new root, trusted by both');
    assert.equal(pemBlocks(a.opened.ca.rootsPem()).length, 2);
    a.stop();
    b.stop();
  });

  it('a root rotation taken through one replica is followed by the other: trust, then sign with the new root, then retire', async () => {
    const { inner, secrets } = sharedStore();
    const a = await replica(secrets);
    const b = await replica(secrets);
    const oldRoot = a.opened.ca.rootsPem();
    const changesB = b.trustChanges;

    await a.rotation.step('trust');
    await until(() => b.rotation.status().phase === 'overlap', 3000);
    assert.equal(b.opened.ca.rootsPem(), a.opened.ca.rootsPem(), 'B trusts both roots, in A\'s order');
    assert.equal(pemBlocks(b.opened.ca.rootsPem()).length, 2);
    const newRoot = pemBlocks(a.opened.ca.rootsPem())[1]!;
    assert.ok(b.trustChanges > changesB, 'B pushed its new trust bundle and renewed its serving certificate');
    assert.ok(await verifiesAgainst(b.opened.ca, oldRoot), 'still signing with the old root during the overlap');
    assert.ok(await verifiesAgainst(b.opened.ca, `${oldRoot}${newRoot}\n`));

    await a.rotation.step('activate');
    await until(() => b.rotation.status().phase === 'activated', 3000);
    assert.equal(pemBlocks(b.opened.ca.rootsPem())[0]!.trim(), newRoot.trim(), 'the new root is listed first');
    assert.ok(await verifiesAgainst(b.opened.ca, newRoot), 'B now signs with the new root');
    assert.equal(await verifiesAgainst(b.opened.ca, oldRoot), false);
    assert.equal(await inner.get(CA_NEXT), undefined, 'ca/next is removed once the new root signs');

    // the last step through the other replica: A follows B
    await b.rotation.step('retire');
    await until(() => a.rotation.status().phase === 'stable', 3000);
    assert.equal(a.opened.ca.rootsPem().trim(), newRoot.trim());
    assert.equal(b.opened.ca.rootsPem(), a.opened.ca.rootsPem());

    // a replica starting now opens the rotated root
    const c = await replica(secrets);
    assert.equal(c.opened.ca.rootsPem(), a.opened.ca.rootsPem());
    assert.ok(await verifiesAgainst(c.opened.ca, newRoot));
    for (const r of [a, b, c]) r.stop();
  });

  it('a replica whose store does not answer when a step is announced reads again until it does, and follows', async () => {
    const inner = new MemorySecretStore();
    const key = randomBytes(32);
    let failReads = 0;
    // B's view of the same store: its reads fail while `failReads` lasts (etcd just back from a partition)
    const flaky: SecretStore = {
      get: async (name) => {
        if (failReads-- > 0) throw new StoreError('UNAVAILABLE', `reading ${name}: etcd is unavailable`);
        return inner.get(name);
      },
      createIfAbsent: (n, v) => inner.createIfAbsent(n, v),
      put: (n, v) => inner.put(n, v),
      delete: (n) => inner.delete(n),
      list: (p) => inner.list(p),
      watch: (p, f) => inner.watch(p, f),
    };
    const a = await replica(sealSecrets(inner, key));
    const b = await replica(sealSecrets(flaky, key));
    failReads = 2;
    await a.rotation.step('trust');
    await until(() => b.rotation.status().phase === 'overlap', 5000);
    assert.ok(b.logs.some((l) => /following the root the replicas share failed .*retrying/.test(l)), b.logs.join('\n'));
    a.stop();
    b.stop();
  });

  it('a replica that has not heard of a step yet starts its own from the shared state, so it cannot repeat it', async () => {
    const { secrets } = sharedStore();
    const a = await replica(secrets);
    const b = await replica(secrets, { follow: false });
    await a.rotation.step('trust');
    assert.equal(b.rotation.status().phase, 'stable', 'B follows nothing by itself here');
    await assert.rejects(b.rotation.step('trust'), (e: Error) => e instanceof RotationError && /the rotation is overlap, the next step is activate/.test(e.message));
    assert.equal(b.rotation.status().phase, 'overlap');
    await b.rotation.step('activate');
    await until(() => a.rotation.status().phase === 'activated', 3000);
    assert.equal(a.opened.ca.rootsPem(), b.opened.ca.rootsPem());
    a.stop();
  });

  it('a shared root deleted from the store is written back by a running replica, so a new replica cannot make another', async () => {
    const { inner, secrets } = sharedStore();
    const a = await replica(secrets);
    await inner.delete(CA_ACTIVE);
    await until(() => a.logs.some((l) => l.includes('this replica wrote its own back')), 3000);
    const c = await replica(secrets);
    assert.equal(c.opened.ca.rootsPem(), a.opened.ca.rootsPem());
    a.stop();
    c.stop();
  });

  it('a step the store does not take is undone here too, and the error says so', async () => {
    const { secrets } = sharedStore();
    let failing = false;
    const flaky: SecretStore = {
      ...secrets,
      get: (name) => secrets.get(name),
      createIfAbsent: (name, v) => secrets.createIfAbsent(name, v),
      list: (p) => secrets.list(p),
      delete: (name) => secrets.delete(name),
      watch: (p, fn) => secrets.watch(p, fn),
      put: (name, v) => (failing ? Promise.reject(new Error('etcd is unavailable')) : secrets.put(name, v)),
    };
    const a = await replica(flaky);
    const before = a.opened.ca.rootsPem();
    failing = true;
    await assert.rejects(a.rotation.step('trust'), /^Error: etcd is unavailable$/);
    assert.ok(a.logs.some((l) => l === 'ca: root rotation: the trust step could not be kept and is undone: etcd is unavailable'));
    assert.equal(a.rotation.status().phase, 'stable');
    assert.equal(a.opened.ca.rootsPem(), before);
    a.stop();
  });
});
