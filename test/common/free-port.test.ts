// Unit: common/free-port — a port below the kernel's ephemeral range that can be bound, and the kernel's pick when none is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { freePort } from '../../src/common/free-port.js';

const ephemeralStart = (): number => {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 49152;
  }
};

test('a free port below the ephemeral range, which can then be bound', async () => {
  const port = await freePort('127.0.0.1');
  assert.ok(port >= 10_000 && port < ephemeralStart(), String(port));
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise((r) => s.close(r));
});

test('a taken port is never returned: the next candidate is tried', async () => {
  const held = net.createServer();
  const taken = await new Promise<number>((r) => held.listen(0, '127.0.0.1', () => r((held.address() as net.AddressInfo).port)));
  try {
    // the first draw lands on the held port (when it is in range), the second anywhere else
    const draws = [(taken - 10_000) / (ephemeralStart() - 10_000), 0.5];
    const port = await freePort('127.0.0.1', () => draws.shift() ?? Math.random());
    assert.notEqual(port, taken);
  } finally {
    await new Promise((r) => held.close(r));
  }
});
