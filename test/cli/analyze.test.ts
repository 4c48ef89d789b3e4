// Tests for `trellis analyze`: istioctl lines from the server, offline analysis of files (IST0101), fallback when no server answers, exit status on Errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeControlPlane } from './fake-server.js';
import { BAD_HOST_VS, REVIEWS_DR, SERVICES, tempDir, tempFile } from './fixtures.js';
import { deadUrl, run } from './harness.js';
import { assertNoMaterial, tempPki, tlsSecretYaml } from '../fixtures/secrets.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
  cp.seed(SERVICES);
});
after(() => cp.stop());

const IST0101 = 'Error [IST0101] (VirtualService default/reviews) Referenced host not found: "ratingz"';

test('analyze --offline -f FILE finds IST0101 in the file alone and exits 1', async () => {
  const n = cp.requests.length;
  const r = await run(['analyze', '--offline', '-f', tempFile('vs.yaml', `${SERVICES}---\n${BAD_HOST_VS}`), '--server', cp.url]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, `${IST0101}\n`);
  assert.equal(cp.requests.length, n, 'offline sends nothing');
});

test('analyze --offline of a clean directory prints the check mark and exits 0', async () => {
  const dir = tempDir({ 'svc.yaml': SERVICES, 'dr.yaml': REVIEWS_DR });
  const r = await run(['analyze', '--offline', '-f', dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^✔ No validation issues found when analyzing .*svc\.yaml\.$/m);
});

test('analyze --offline turns unparsable documents into IST0106 and still analyzes the rest', async () => {
  const r = await run(['analyze', '--offline', '-f', tempFile('x.yaml', `${BAD_HOST_VS}---\napiVersion: networking.istio.io/v1\nkind: Nope\nmetadata: {name: n}\n`), '-o', 'json']);
  assert.equal(r.code, 1);
  const msgs = JSON.parse(r.stdout) as { code: string }[];
  assert.deepEqual(msgs.map((m) => m.code).sort(), ['IST0101', 'IST0106']);
});

test('analyze -f sends the text to the server; without -f it analyzes the live config', async () => {
  const r = await run(['analyze', '-f', tempFile('vs.yaml', BAD_HOST_VS), '--server', cp.url]);
  assert.equal(cp.last().path, '/api/v1/analyze');
  assert.match(String(cp.last().body?.text), /ratingz/);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, `${IST0101}\n`);
  const live = await run(['analyze', '--server', cp.url]);
  assert.deepEqual(cp.last().body, {});
  assert.equal(live.code, 0);
  assert.equal(live.stdout, '✔ No validation issues found when analyzing the mesh config.\n');
});

test('warnings alone exit 0; -o json prints the messages', async () => {
  cp.on('POST', '/api/v1/analyze', () => ({ status: 200, body: { messages: [{ code: 'IST0174', name: 'UnknownDestinationRuleHost', level: 'Warning', resource: 'DestinationRule default/x', message: 'unknown host' }] } }));
  try {
    const r = await run(['analyze', '--server', cp.url]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'Warning [IST0174] (DestinationRule default/x) unknown host\n');
    const j = await run(['analyze', '-o', 'json', '--server', cp.url]);
    assert.equal((JSON.parse(j.stdout) as unknown[]).length, 1);
  } finally {
    cp.on('POST', '/api/v1/analyze', () => undefined);
  }
});

test('no server reachable: with -f it falls back to the files (noted on stderr); without -f it fails', async () => {
  const url = await deadUrl();
  const r = await run(['analyze', '-f', tempFile('vs.yaml', `${SERVICES}---\n${BAD_HOST_VS}`), '--server', url]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, `${IST0101}\n`);
  assert.match(r.stderr, /analyzing the files alone/);
  const none = await run(['analyze', '--server', url]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /cannot reach the control plane/);
  assert.match((await run(['analyze', '--offline'])).stderr, /--offline needs/);
});

test('analyze --offline agrees with apply on secrets: a credentialName Gateway with its Secret is clean; a mismatched key (IST0106) and a basic-auth Secret (TRL0004) are named, never quoted', async () => {
  const pki = tempPki();
  try {
    const gateway = `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: mygateway}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    tls: {mode: MUTUAL, credentialName: httpbin-credential}\n    hosts: [httpbin.example.com]\n`;
    const good = tlsSecretYaml('httpbin-credential', 'istio-system', { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert });
    const clean = await run(['analyze', '--offline', '-f', tempFile('gw.yaml', `${gateway}---\n${good}`)]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const bad = tlsSecretYaml('bad', 'istio-system', { cert: pki.serverCert, key: pki.clientKey });
    const basic = 'apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ntype: kubernetes.io/basic-auth\nstringData: {username: u, password: hunter2-hunter2}\n';
    const r = await run(['analyze', '--offline', '-f', tempFile('bad.yaml', `${bad}---\n${basic}`)]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Error \[IST0106\] \(Secret istio-system\/bad\) Schema validation error: data\["tls.key"\]: the private key does not match the certificate's public key/);
    assert.match(r.stdout, /Error \[TRL0004\] \(Secret default\/creds\) type is not supported by trellis yet/);
    assertNoMaterial(r.stdout + r.stderr, { 'client key': pki.clientKey }, 'analyze output');
    assert.ok(!r.stdout.includes('hunter2'));
  } finally {
    pki.cleanup();
  }
});
