// Tests for `trellis apply`: one request per apply (directories too), author/message/dry-run in the body, kubectl-style output, every error on stderr.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeControlPlane } from './fake-server.js';
import { REVIEWS_DR, REVIEWS_VS, SERVICES, tempDir, tempFile } from './fixtures.js';
import { deadUrl, run } from './harness.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
});
after(() => cp.stop());

test('apply -f FILE posts the text with author header and message, prints kubectl lines and the revision', async () => {
  const file = tempFile('svc.yaml', SERVICES);
  const r = await run(['apply', '-f', file, '-m', 'add services', '--server', cp.url]);
  assert.equal(r.code, 0, r.stderr);
  const req = cp.last();
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/api/v1/apply');
  assert.equal(req.author, 'tester');
  assert.equal(req.body?.message, 'add services');
  assert.equal(req.body?.author, 'tester');
  assert.equal(req.body?.dryRun, undefined);
  assert.match(String(req.body?.text), /name: reviews/);
  assert.match(r.stdout, /^service\/reviews created$/m);
  assert.match(r.stdout, /^service\/ratings created$/m);
  assert.match(r.stdout, /^revision \d+$/m);
});

test('apply -f DIR sends every yaml/yml/json file, sorted, as one request', async () => {
  const dir = tempDir({ 'b-vs.yml': REVIEWS_VS, 'a-svc.yaml': SERVICES, 'c-dr.json': REVIEWS_DR, 'notes.txt': 'not config' });
  const n = cp.requests.length;
  const r = await run(['apply', '-f', dir, '--server', cp.url, '--author', 'alice']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.requests.length, n + 1, 'exactly one request');
  const text = String(cp.last().body?.text);
  assert.ok(text.indexOf('kind: Service') < text.indexOf('kind: VirtualService') && text.indexOf('kind: VirtualService') < text.indexOf('DestinationRule'));
  assert.doesNotMatch(text, /not config/);
  assert.equal(cp.last().author, 'alice');
  assert.match(r.stdout, /^virtualservice\.networking\.istio\.io\/reviews created$/m);
  assert.match(r.stdout, /^destinationrule\.networking\.istio\.io\/reviews created$/m);
  assert.match(r.stdout, /^service\/reviews unchanged$/m);
});

test('apply -f - reads stdin; --dry-run is sent and no revision is printed', async () => {
  const r = await run(['apply', '-f', '-', '--dry-run', '--server', cp.url], { stdin: REVIEWS_VS.replace('subset: v1', 'subset: v2') });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().body?.dryRun, true);
  assert.match(r.stdout, /^virtualservice\.networking\.istio\.io\/reviews updated \(dry run\)$/m);
  assert.doesNotMatch(r.stdout, /revision/);
});

test('TRELLIS_SERVER is used when --server is absent; -o json prints the response', async () => {
  const r = await run(['apply', '-f', tempFile('vs.yaml', REVIEWS_VS), '-o', 'json'], { env: { TRELLIS_SERVER: cp.url } });
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { revision: number; changes: unknown[] };
  assert.equal(typeof body.revision, 'number');
  assert.equal(body.changes.length, 1);
});

test('a 400 with several errors prints every error on its own line and exits 1', async () => {
  cp.on('POST', '/api/v1/apply', () => ({
    status: 400,
    body: { errors: [{ path: 'VirtualService default/a: spec.hosts', message: 'required' }, { path: 'DestinationRule default/b: spec.host', message: 'required' }, { path: 'Gateway default/c', message: 'bad' }] },
  }));
  try {
    const r = await run(['apply', '-f', tempFile('vs.yaml', REVIEWS_VS), '--server', cp.url]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.includes('VirtualService default/a: spec.hosts: required'), r.stderr);
    assert.ok(lines.includes('DestinationRule default/b: spec.host: required'));
    assert.ok(lines.includes('Gateway default/c: bad'));
    assert.match(r.stderr, /HTTP 400, 3 errors/);
  } finally {
    cp.on('POST', '/api/v1/apply', () => undefined);
  }
});

test('invalid files are rejected locally with file and line, and nothing is sent', async () => {
  const bad = tempDir({
    'a.yaml': 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: []\n',
    'b.yaml': 'apiVersion: networking.istio.io/v1\nkind: Gatewayy\nmetadata: {name: y}\n',
  });
  const n = cp.requests.length;
  const r = await run(['apply', '-f', bad, '--server', cp.url]);
  assert.equal(r.code, 1);
  assert.equal(cp.requests.length, n, 'no request');
  assert.match(r.stderr, /a\.yaml:\d+/);
  assert.match(r.stderr, /Gatewayy/);
  assert.match(r.stderr, /nothing was sent/);
});

test('unreachable server: a clear message and exit 1', async () => {
  const url = await deadUrl();
  const r = await run(['apply', '-f', tempFile('vs.yaml', REVIEWS_VS), '--server', url]);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`cannot reach the control plane at ${url} (`), r.stderr);
  assert.match(r.stderr, /ECONNREFUSED/);
});

test('apply without -f or with a missing file fails with a usage message', async () => {
  assert.match((await run(['apply', '--server', cp.url])).stderr, /no input/);
  const r = await run(['apply', '-f', '/nonexistent/x.yaml', '--server', cp.url]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read "\/nonexistent\/x\.yaml"/);
});
