// Tests the control-plane keepalive with fake timers: a PING per interval, the session ended when one goes unanswered or fails, nothing after stop().
import { describe, it, mock, type Mock } from 'node:test';
import assert from 'node:assert/strict';
import { startKeepalive, type Pingable } from '../../../src/proxy/xds/keepalive.js';

interface FakeSession extends Pingable {
  pings: ((err: Error | null) => void)[];
  destroyed: Mock<(err?: Error) => void>;
}

function fakeSession(): FakeSession {
  const pings: ((err: Error | null) => void)[] = [];
  return {
    pings,
    ping(cb) {
      pings.push(cb);
      return true;
    },
    destroyed: mock.fn<(err?: Error) => void>(),
    destroy(err) {
      this.destroyed(err);
    },
  };
}

describe('keepalive', () => {
  it('pings every interval and leaves an answering session alone', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    const s = fakeSession();
    const stop = startKeepalive(s, { intervalMs: 1000, timeoutMs: 300 });
    t.mock.timers.tick(1000);
    assert.equal(s.pings.length, 1);
    s.pings[0]!(null);
    t.mock.timers.tick(1000);
    assert.equal(s.pings.length, 2);
    s.pings[1]!(null);
    t.mock.timers.tick(5000);
    assert.equal(s.destroyed.mock.callCount(), 0);
    stop();
  });

  it('ends the session when a PING is not answered within the timeout, and pings no more', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    const s = fakeSession();
    startKeepalive(s, { intervalMs: 1000, timeoutMs: 300 });
    t.mock.timers.tick(1000); // the PING goes out
    t.mock.timers.tick(299);
    assert.equal(s.destroyed.mock.callCount(), 0);
    t.mock.timers.tick(1);
    assert.equal(s.destroyed.mock.callCount(), 1);
    assert.match(String(s.destroyed.mock.calls[0]!.arguments[0]), /no PING answer within 300 ms/);
    t.mock.timers.tick(10_000);
    assert.equal(s.pings.length, 1);
  });

  it('ends the session when the PING fails, and does nothing once stopped', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    const s = fakeSession();
    startKeepalive(s, { intervalMs: 1000, timeoutMs: 300 });
    t.mock.timers.tick(1000);
    s.pings[0]!(new Error('session closed'));
    assert.equal(s.destroyed.mock.callCount(), 1);
    const quiet = fakeSession();
    startKeepalive(quiet, { intervalMs: 1000, timeoutMs: 300 })();
    t.mock.timers.tick(10_000);
    assert.equal(quiet.pings.length, 0);
  });
});
