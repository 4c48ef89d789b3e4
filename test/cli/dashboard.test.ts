// Tests for `trellis dashboard`: the URL of the control plane it reaches, printed; a control plane that is not there is an error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeControlPlane } from './fake-server.js';
import { deadUrl, run } from './harness.js';

let cp: FakeControlPlane;
before(async () => {
  cp = await new FakeControlPlane().start();
});
after(() => cp.stop());

test('prints the dashboard URL of the control plane and how to sign in (no desktop: nothing is opened)', async () => {
  const r = await run(['dashboard', '--server', cp.url], { env: { DISPLAY: undefined, WAYLAND_DISPLAY: undefined } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], `${cp.url}/`);
  assert.match(r.stdout, /sign in with the admin token/);
});

test('a control plane that does not answer is an error, not a dead link', async () => {
  const r = await run(['dashboard', '--server', await deadUrl()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the control plane/);
});
