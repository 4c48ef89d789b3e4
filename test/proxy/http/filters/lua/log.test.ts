// Proxy HTTP (Lua): the script log — Envoy's levels (info by default), escaped control characters, and the rate bound
// with its "suppressed" note, on an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptLog, levelFromEnv, sanitize } from '../../../../../src/proxy/http/filters/lua/log.js';

function rig(threshold = 2, perSecond = 3): { log: ScriptLog; lines: string[]; clock: { t: number } } {
  const lines: string[] = [];
  const clock = { t: 0 };
  return { log: new ScriptLog((l) => lines.push(l), () => clock.t, threshold, perSecond), lines, clock };
}

test('lua log: levels as Envoy names them; trace and debug are off by default', () => {
  const { log, lines } = rig();
  log.log(0, 'f', 'trace');
  log.log(1, 'f', 'debug');
  log.log(2, 'f', 'info');
  log.log(5, 'f', 'critical');
  assert.deepEqual(lines, ['[lua][info] f: info\n', '[lua][critical] f: critical\n']);
  assert.equal(levelFromEnv(undefined), 2);
  assert.equal(levelFromEnv('debug'), 1);
  assert.equal(levelFromEnv('warn'), 3);
  assert.equal(levelFromEnv('off'), 6);
  assert.equal(levelFromEnv('bogus'), 2);
});

test('lua log: a script cannot forge log lines; long messages are cut', () => {
  assert.equal(sanitize('a\nb\r\x1b[31mc\td'), 'a\\x0ab\\x0d\\x1b[31mc\td');
  assert.match(sanitize('x'.repeat(5000)), /^x{4096}\.\.\.\(truncated\)$/);
});

test('lua log: at most perSecond lines a second; the next line says how many were dropped', () => {
  const { log, lines, clock } = rig(2, 3);
  for (let i = 0; i < 10; i++) log.log(2, 'f', `m${i}`);
  assert.deepEqual(lines, ['[lua][info] f: m0\n', '[lua][info] f: m1\n', '[lua][info] f: m2\n']);
  clock.t = 400; // 1.2 tokens back
  log.log(2, 'f', 'later');
  assert.deepEqual(lines.slice(3), ['[lua][warning] 7 script log lines suppressed (more than 3/s)\n', '[lua][info] f: later\n']);
  log.log(2, 'f', 'dropped');
  assert.equal(lines.length, 5);
  clock.t = 10_000;
  for (let i = 0; i < 3; i++) log.log(2, 'f', `burst${i}`);
  assert.equal(lines.length, 9, 'the bucket refills to its burst, not beyond');
});
