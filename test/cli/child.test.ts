// Tests that run the built `trellis` binary as a child process, as a user or script would: env server, exit statuses, stderr, stdin.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeControlPlane } from './fake-server.js';
import { BAD_HOST_VS, REVIEWS_VS, SERVICES, tempDir, tempFile } from './fixtures.js';
import { deadUrl, runChild } from './harness.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
});
after(() => cp.stop());

test('trellis apply -f DIR via TRELLIS_SERVER, then get and history -o json', async () => {
  const dir = tempDir({ '1.yaml': SERVICES, '2.yaml': REVIEWS_VS });
  const a = await runChild(['apply', '-f', dir, '-m', 'bookinfo'], { env: { TRELLIS_SERVER: cp.url, USER: 'dana' } });
  assert.equal(a.code, 0, a.stderr);
  assert.equal(cp.last().author, 'dana');
  assert.match(a.stdout, /^virtualservice\.networking\.istio\.io\/reviews created\nrevision 1\n$/m);
  const g = await runChild(['get', 'virtualservices', '--server', cp.url]);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /^reviews\s+mesh\s+reviews\s+/m);
  const h = await runChild(['history', '-o', 'json', '--server', cp.url]);
  const revs = JSON.parse(h.stdout) as { revision: number; time: string; message: string }[];
  assert.equal(revs[0]?.message, 'bookinfo');
});

test('trellis apply -f - reads stdin', async () => {
  const r = await runChild(['apply', '-f', '-', '--server', cp.url], { stdin: REVIEWS_VS.replace('subset: v1', 'subset: v3') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /reviews updated/);
});

test('server errors: one per line on stderr, exit status 1', async () => {
  cp.on('POST', '/api/v1/apply', () => ({ status: 400, body: { errors: [{ path: 'a', message: 'one' }, { path: 'b', message: 'two' }] } }));
  try {
    const r = await runChild(['apply', '-f', tempFile('vs.yaml', REVIEWS_VS), '--server', cp.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^a: one\nb: two\n$/m);
  } finally {
    cp.on('POST', '/api/v1/apply', () => undefined);
  }
});

test('unreachable server exits 1 with a clear message; bad flags exit non-zero', async () => {
  const r = await runChild(['history', '--server', await deadUrl()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the control plane/);
  assert.notEqual((await runChild(['get', 'vs', '-o', 'xml'])).code, 0);
});

test('trellis analyze --offline exits 1 on IST0101 and 0 when clean', async () => {
  const bad = await runChild(['analyze', '--offline', '-f', tempFile('vs.yaml', `${SERVICES}---\n${BAD_HOST_VS}`)]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^Error \[IST0101\] \(VirtualService default\/reviews\) Referenced host not found: "ratingz"$/m);
  const ok = await runChild(['analyze', '--offline', '-f', tempFile('svc.yaml', SERVICES)]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /✔ No validation issues found/);
});

test('trellis version prints what --version prints', async () => {
  const v = await runChild(['version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.equal((await runChild(['--version'])).stdout, v.stdout);
});
