// Unit: common/port-in-use — the message a taken port gets, and bindNamed turning only EADDRINUSE into it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { bindNamed, portFree, portInUseMessage } from '../../src/common/port-in-use.js';

test('the message names the flag, the port and how to fix it', () => {
  assert.equal(
    portInUseMessage('--admin-port', 15000, 'another sidecar'),
    '--admin-port 15000 is already in use (another sidecar on this host? pass --admin-port 0 or a free port)',
  );
});

test('bindNamed turns EADDRINUSE into the flag message and passes other errors through', async () => {
  const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7'), { code: 'EADDRINUSE' });
  await assert.rejects(bindNamed('--http-port', 7, 'another trellis control', Promise.reject(inUse)), {
    message: '--http-port 7 is already in use (another trellis control on this host? pass --http-port 0 or a free port)',
  });
  const denied = Object.assign(new Error('listen EACCES: permission denied'), { code: 'EACCES' });
  await assert.rejects(bindNamed('--http-port', 7, 'x', Promise.reject(denied)), (e) => e === denied);
  assert.equal(await bindNamed('--http-port', 7, 'x', Promise.resolve(42)), 42);
});

test('portFree is false for a held port and true once it is released', async () => {
  const held = net.createServer();
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
  const port = (held.address() as net.AddressInfo).port;
  assert.equal(await portFree('127.0.0.1', port), false);
  await new Promise<void>((r) => held.close(() => r()));
  assert.equal(await portFree('127.0.0.1', port), true);
});
