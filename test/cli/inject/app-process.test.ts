// Unit: cli/inject — the app's environment and exit status, and stopping an app's whole process group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appEnv } from '../../../src/cli/inject/command.js';
import { exitStatus, startApp } from '../../../src/cli/inject/app-process.js';

test('the app gets PORT and its sidecar as TRELLIS_OUTBOUND and HTTP_PROXY, loopback bypassing it, never the admin token', () => {
  const env = appEnv({ PATH: '/bin', TRELLIS_TOKEN: 'secret' }, 8080, 15001);
  assert.equal(env.PORT, '8080');
  assert.equal(env.TRELLIS_OUTBOUND, 'http://127.0.0.1:15001');
  assert.equal(env.HTTP_PROXY, 'http://127.0.0.1:15001');
  assert.equal(env.http_proxy, 'http://127.0.0.1:15001');
  assert.equal(env.NO_PROXY, '127.0.0.1,localhost');
  assert.equal(env.TRELLIS_TOKEN, undefined);
  assert.equal(env.PATH, '/bin');
  assert.equal(appEnv({ no_proxy: 'corp' }, 1, 2).NO_PROXY, undefined, 'a NO_PROXY the user set is kept as it is');
});

test('exit status: the code, or 128 + the signal number as a shell reports it', () => {
  assert.equal(exitStatus({ code: 3, signal: null }), 3);
  assert.equal(exitStatus({ code: null, signal: 'SIGTERM' }), 143);
  assert.equal(exitStatus({ code: null, signal: 'SIGKILL' }), 137);
});

/** Starts a node app that installs `onTerm` as its SIGTERM handler, then says so through a file (polled for). */
async function appWithHandler(onTerm: string) {
  const flag = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-app-')), 'ready');
  const app = await startApp(process.execPath, ['-e', `process.on("SIGTERM", ${onTerm}); require("fs").writeFileSync(${JSON.stringify(flag)}, ""); setInterval(() => {}, 1000)`], process.env);
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(flag) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  fs.rmSync(path.dirname(flag), { recursive: true, force: true });
  return app;
}

test('stop sends SIGTERM to the group, then SIGKILL once the grace is over', async () => {
  const polite = await appWithHandler('() => process.exit(5)');
  assert.deepEqual(await polite.stop(5000), { code: 5, signal: null });
  const stubborn = await appWithHandler('() => {}');
  assert.deepEqual(await stubborn.stop(100), { code: null, signal: 'SIGKILL' });
  await assert.rejects(startApp('/nonexistent/app', [], process.env), /cannot start \/nonexistent\/app/);
});
