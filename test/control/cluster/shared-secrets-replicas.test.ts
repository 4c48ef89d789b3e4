// Two control planes in one process sharing secrets (as replicas on one etcd do): each keeps its own admin-token file and
// accepts the other's; a token from one gets a certificate from the other that verifies (openssl) against the shared
// root; a root rotation started through one replica's API is followed by the other and finished through it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { MemorySecretStore } from '../../../src/control/cluster/memory-secret-store.js';
import { sealSecrets } from '../../../src/control/cluster/sealed-secrets.js';
import { createCsr } from '../../../src/common/pki/csr.js';
import { requestCertificate } from '../../../src/proxy/identity/ca-client.js';
import { pemBlocks } from '../../../src/control/ca/material.js';
import { until } from '../xds/ads-client.js';

let dir: string;
let a: ControlPlane;
let b: ControlPlane;

async function api(cp: ControlPlane, method: string, p: string, token?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${cp.httpPort}${p}`, {
    method,
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Does a certificate `from` signs for `token` verify, by openssl, against `rootPem` alone? */
async function certVerifies(from: ControlPlane, token: string, rootPem: string): Promise<boolean> {
  const { csrPem } = await createCsr();
  const chain = await requestCertificate(`127.0.0.1:${from.xdsTlsPort}`, { ca: from.ca.rootsPem(), token }, csrPem, 600);
  const rootFile = path.join(dir, `root-${randomBytes(4).toString('hex')}.pem`);
  const leafFile = path.join(dir, `leaf-${randomBytes(4).toString('hex')}.pem`);
  fs.writeFileSync(rootFile, rootPem);
  fs.writeFileSync(leafFile, chain[0]!);
  try {
    return /: OK/.test(execFileSync('openssl', ['verify', '-CAfile', rootFile, leafFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return false;
  }
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-replicas-'));
  const secrets = sealSecrets(new MemorySecretStore(), randomBytes(32));
  const start = (name: string): Promise<ControlPlane> =>
    startControlPlane({ store: createMemoryStore(), secrets, dataDir: path.join(dir, name), xdsTlsPort: 0, httpPort: 0, debounceMs: 10, metricsIntervalMs: 0 });
  [a, b] = await Promise.all([start('a'), start('b')]);
});
after(async () => {
  await a?.close();
  await b?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('replicas sharing secrets', () => {
  it('each writes its own admin-token file; either token works on both replicas, an unknown one on neither', async () => {
    assert.notEqual(a.adminToken, b.adminToken);
    assert.equal(fs.readFileSync(path.join(dir, 'a', 'admin-token'), 'utf8').trim(), a.adminToken);
    assert.equal(fs.readFileSync(path.join(dir, 'b', 'admin-token'), 'utf8').trim(), b.adminToken);
    for (const cp of [a, b]) {
      for (const token of [a.adminToken, b.adminToken]) assert.equal((await api(cp, 'GET', '/api/v1/whoami', token)).status, 200);
      assert.equal((await api(cp, 'GET', '/api/v1/whoami', randomBytes(32).toString('base64url'))).status, 401);
    }
  });

  it('one root; a token minted by A gets a certificate from B that verifies against A\'s root', async () => {
    assert.equal(a.ca.rootsPem(), b.ca.rootsPem());
    const minted = await api(a, 'POST', '/api/v1/tokens', a.adminToken, { namespace: 'default', serviceAccount: 'reviews' });
    assert.equal(minted.status, 200);
    assert.ok(await certVerifies(b, String(minted.json['token']), a.ca.rootsPem()));
  });

  it('a root rotation through A\'s API reaches B; B (with A\'s admin token) takes the next steps, and A follows', async () => {
    const oldRoot = a.ca.rootsPem();
    assert.equal((await api(a, 'POST', '/api/v1/ca/rotation', a.adminToken, { step: 'trust' })).status, 200);
    await until(() => pemBlocks(b.ca.rootsPem()).length === 2, 5000);
    assert.equal((await api(b, 'GET', '/api/v1/ca/rotation')).json['phase'], 'overlap');
    const newRoot = pemBlocks(a.ca.rootsPem())[1]!;
    assert.equal((await api(b, 'POST', '/api/v1/ca/rotation', a.adminToken, { step: 'activate' })).status, 200);
    await until(() => pemBlocks(a.ca.rootsPem())[0]!.trim() === newRoot.trim(), 5000);
    const token = (await a.identityTokens.sign({ namespace: 'default', serviceAccount: 'ratings' }, 600)).token;
    assert.ok(await certVerifies(a, token, newRoot), 'A signs with the new root B activated');
    assert.equal(await certVerifies(a, token, oldRoot), false);
    assert.equal((await api(a, 'POST', '/api/v1/ca/rotation', b.adminToken, { step: 'retire' })).status, 200);
    await until(() => pemBlocks(b.ca.rootsPem()).length === 1, 5000);
    assert.equal(b.ca.rootsPem().trim(), newRoot.trim());
    assert.equal((await api(b, 'GET', '/api/v1/ca/root')).json['rootsPem'], a.ca.rootsPem());
  });
});
