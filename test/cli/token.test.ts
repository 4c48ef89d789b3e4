// Tests for the CLI's credential: --token, else TRELLIS_TOKEN, else ./.trellis/admin-token; the 401 hint; `trellis token create`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { resolveToken } from '../../src/cli/client.js';
import { ttlSeconds } from '../../src/cli/token.js';
import { FakeControlPlane } from './fake-server.js';
import { REVIEWS_VS } from './fixtures.js';
import { run } from './harness.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
});
after(() => cp.stop());

test('resolveToken: --token, else TRELLIS_TOKEN, else ./.trellis/admin-token when it exists, else none', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-cli-token-'));
  try {
    assert.equal(resolveToken({}, {}, dir), undefined);
    fs.mkdirSync(path.join(dir, '.trellis'));
    fs.writeFileSync(path.join(dir, '.trellis', 'admin-token'), 'from-file\n', { mode: 0o600 });
    assert.equal(resolveToken({}, {}, dir), 'from-file');
    assert.equal(resolveToken({}, { TRELLIS_TOKEN: 'from-env' }, dir), 'from-env');
    assert.equal(resolveToken({ token: 'from-flag' }, { TRELLIS_TOKEN: 'from-env' }, dir), 'from-flag');
    // an empty variable is as good as unset
    assert.equal(resolveToken({}, { TRELLIS_TOKEN: '' }, dir), 'from-file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every request carries Authorization: Bearer <token> when there is one', async () => {
  const r = await run(['apply', '-f', '-', '--server', cp.url, '--token', 'tok-1'], { stdin: REVIEWS_VS });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cp.last().authorization, 'Bearer tok-1');
  await run(['history', '--server', cp.url], { env: { TRELLIS_TOKEN: 'tok-2' } });
  assert.equal(cp.last().authorization, 'Bearer tok-2');
});

test('a 401 says how to provide the credential', async () => {
  cp.on('POST', '/api/v1/apply', () => ({ status: 401, body: { error: 'this request needs the admin credential' } }));
  const r = await run(['apply', '-f', '-', '--server', cp.url], { stdin: REVIEWS_VS, env: { TRELLIS_TOKEN: '' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /HTTP 401/);
  assert.match(r.stderr, /no admin token was sent: pass the admin token with --token <token> or TRELLIS_TOKEN, or run from the directory holding \.trellis\/admin-token/);
  const wrong = await run(['apply', '-f', '-', '--server', cp.url, '--token', 'nope'], { stdin: REVIEWS_VS });
  assert.match(wrong.stderr, /the admin token sent was refused/);
  assert.ok(!wrong.stderr.includes('nope'));
});

test('token create posts the identity and TTL and prints the token alone on stdout', async () => {
  cp.on('POST', '/api/v1/tokens', (req) => ({ status: 200, body: { token: 'h.p.s', subject: `spiffe://cluster.local/ns/${String(req.body?.namespace)}/sa/${String(req.body?.serviceAccount)}`, expiresAt: '2030-01-01T00:00:00.000Z' } }));
  const r = await run(['token', 'create', '--namespace', 'default', '--service-account', 'reviews', '--server', cp.url, '--token', 't']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'h.p.s\n');
  assert.match(r.stderr, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews/);
  assert.deepEqual(cp.last().body, { namespace: 'default', serviceAccount: 'reviews', ttlSeconds: 3600 });
  await run(['token', 'create', '--namespace', 'default', '--service-account', 'reviews', '--ttl', '90s', '--server', cp.url]);
  assert.equal(cp.last().body?.ttlSeconds, 90);
  const missing = await run(['token', 'create', '--namespace', 'default', '--server', cp.url]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--service-account/);
});

test('ttlSeconds: whole-second durations only', () => {
  assert.equal(ttlSeconds('1h'), 3600);
  assert.equal(ttlSeconds('1h30m'), 5400);
  for (const bad of ['0s', '500ms', '1.5s', 'soon', '']) assert.throws(() => ttlSeconds(bad), /--ttl/, bad);
});
