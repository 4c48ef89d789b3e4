// Tests the proxy's certificate agent with a real mesh CA and fake timers: first issuance, renewal at half life, retries, wrong keys.
import { before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from '../../../src/control/ca/authority.js';
import { pemBlocks } from '../../../src/control/ca/material.js';
import { generateRoot } from '../../../src/control/ca/root.js';
import { createCsr } from '../../../src/common/pki/csr.js';
import { SecretManager } from '../../../src/proxy/tls/secret-manager.js';
import { Backoff } from '../../../src/proxy/xds/backoff.js';
import { WORKLOAD_SECRET, WorkloadCertificateAgent, checkChain } from '../../../src/proxy/identity/workload-agent.js';

const ID = { namespace: 'default', serviceAccount: 'reviews' };
let ca: CertificateAuthority;

before(async () => {
  ca = await CertificateAuthority.open('cluster.local', await generateRoot('cluster.local'));
});

/** A requester backed by the CA that counts calls and can be made to fail. */
function requester(ttlMs: number): { request: (csr: string) => Promise<string[]>; calls: number; failNext: number } {
  const r = {
    calls: 0,
    failNext: 0,
    request: async (csr: string): Promise<string[]> => {
      r.calls++;
      if (r.failNext > 0) {
        r.failNext--;
        throw new Error('UNAVAILABLE: control plane down');
      }
      const issued = await ca.sign(csr, ID, ttlMs);
      return [...pemBlocks(issued.certChainPem), ...pemBlocks(issued.rootsPem)];
    },
  };
  return r;
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setImmediate(r));
  }
}

describe('WorkloadCertificateAgent', () => {
  it('installs `default` (chain without the root, our key) and renews at half the lifetime, with no gap', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const secrets = new SecretManager();
      const changes: string[] = [];
      secrets.watch([WORKLOAD_SECRET], () => changes.push(secrets.get(WORKLOAD_SECRET)!.tls_certificate!.certificate_chain));
      const req = requester(3600_000);
      let now = Date.now();
      const agent = new WorkloadCertificateAgent({ request: req.request, secrets, now: () => now });
      agent.start();
      await agent.ready();
      assert.equal(req.calls, 1);
      const first = new X509Certificate(changes[0]!);
      assert.equal(first.subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/reviews');
      assert.equal(pemBlocks(changes[0]!).length, 1, 'the root is not part of the served chain');
      assert.ok(agent.current() !== undefined);
      // just before half life nothing happens; at half life a new certificate replaces the old one
      mock.timers.tick(1800_000 - 60_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(req.calls, 1);
      mock.timers.tick(60_000);
      await until(() => changes.length === 2);
      assert.notEqual(new X509Certificate(changes[1]!).serialNumber, first.serialNumber);
      // past expiry with no renewal, current() says so (the token is used again)
      now += 10 * 3600_000;
      assert.equal(agent.current(), undefined);
      agent.close();
    } finally {
      mock.timers.reset();
    }
  });

  it('retries a failed request with backoff until the CA answers', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const secrets = new SecretManager();
      const req = requester(3600_000);
      req.failNext = 2;
      const logs: string[] = [];
      const agent = new WorkloadCertificateAgent({ request: req.request, secrets, log: (m) => logs.push(m), backoff: new Backoff({ baseMs: 1000, maxMs: 4000, random: () => 1 }) });
      agent.start();
      await until(() => req.calls === 1 && logs.length === 1);
      assert.match(logs[0]!, /certificate request failed \(UNAVAILABLE: control plane down\); retrying in 1000 ms/);
      mock.timers.tick(1000);
      await until(() => req.calls === 2 && logs.length === 2);
      assert.match(logs[1]!, /retrying in 2000 ms/);
      mock.timers.tick(2000);
      await until(() => secrets.get(WORKLOAD_SECRET) !== undefined);
      assert.equal(req.calls, 3);
      agent.close();
    } finally {
      mock.timers.reset();
    }
  });

  it('a certificate the control plane refused is not presented again, and is renewed at once', async () => {
    const secrets = new SecretManager();
    const req = requester(3600_000);
    const logs: string[] = [];
    const agent = new WorkloadCertificateAgent({ request: req.request, secrets, log: (m) => logs.push(m) });
    agent.start();
    await agent.ready();
    const first = agent.current()!;
    agent.refused();
    assert.equal(agent.current(), undefined, 'the token proves identity until the renewal lands');
    agent.refused(); // a second refusal of the same certificate starts nothing more
    await until(() => agent.current() !== undefined);
    assert.equal(req.calls, 2);
    assert.notEqual(agent.current()!.cert, first.cert);
    assert.equal(logs.filter((l) => /refused the workload certificate/.test(l)).length, 1);
    agent.close();
  });

  it('refuses a certificate that is not for its key', async () => {
    const mine = await createCsr();
    const theirs = await createCsr();
    const issued = await ca.sign(theirs.csrPem, ID);
    assert.throws(() => checkChain(pemBlocks(issued.certChainPem), mine.keyPem), /not for our key/);
    assert.throws(() => checkChain([], mine.keyPem), /no certificate/);
  });
});
