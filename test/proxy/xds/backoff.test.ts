// Tests: the reconnect backoff — doubling, jittered within [ceiling/2, ceiling], capped, reset after a healthy stream.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../../src/proxy/xds/backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap with the jitter inside [ceiling/2, ceiling]', () => {
    const lo = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const hi = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 1 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => lo.next()), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => hi.next()), [100, 200, 400, 800, 1000, 1000]);
  });

  it('starts over after reset()', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 5000, random: () => 1 });
    b.next();
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 100);
  });

  it('defaults to a cap of about 5 s', () => {
    const b = new Backoff({ random: () => 1 });
    let last = 0;
    for (let i = 0; i < 50; i++) last = b.next();
    assert.equal(last, 5000);
  });
});
