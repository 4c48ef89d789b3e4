// SendBudget tests: responses wait in order for budget, one always goes, a stuck peer stops counting after the stall time.
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { BudgetedStream, SendBudget } from '../../../src/control/xds/send-budget.js';
import type { FramedResponse } from '../../../src/control/xds/framed-response.js';
import type { ResponseSink } from '../../../src/control/xds/response-sink.js';

/** A sink whose writes complete only when the test says so (a peer that reads when told). */
class Sink extends Writable {
  readonly pending: (() => void)[] = [];
  readonly got: string[] = [];
  constructor() {
    super({ highWaterMark: 1 << 30 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.got.push(chunk.toString());
    this.pending.push(cb);
  }
  /** The peer takes the oldest write. */
  take(): void {
    this.pending.shift()?.();
  }
}

/** A sink writing each response's bytes to `w`. */
function sinkOf(w: Writable): ResponseSink {
  return {
    write: (r, sent) => void w.write(Buffer.concat(r.chunks as Buffer[]), () => sent()),
    get writableNeedDrain() {
      return w.writableNeedDrain;
    },
    on: (e, fn) => w.on(e, fn),
    off: (e, fn) => w.off(e, fn),
  };
}

/** A response of `s`'s bytes (its size is their length). */
const res = (s: string): FramedResponse => ({ chunks: [Buffer.from(s)], size: s.length });

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Whether the stream's drained() promise has resolved yet. */
function drainedYet(stream: BudgetedStream): () => boolean {
  let drained = false;
  void stream.drained().then(() => (drained = true));
  return () => drained;
}

describe('SendBudget', () => {
  it('sends what fits now, queues the rest in order, and lets one response through however large', () => {
    const budget = new SendBudget(10, 60_000);
    const order: string[] = [];
    const dones: Record<string, () => void> = {};
    const send = (name: string) => (done: () => void) => {
      order.push(name);
      dones[name] = done;
    };
    assert.equal(budget.submit(6, send('a')), true);
    assert.equal(budget.submit(6, send('b')), false, 'over the budget: waits');
    assert.equal(budget.submit(1, send('c')), false, 'behind b, although it would fit');
    assert.deepEqual(order, ['a']);
    dones.a!();
    assert.deepEqual(order, ['a', 'b', 'c']);
    assert.equal(budget.bytesInFlight, 7);
    dones.b!();
    dones.c!();
    dones.c!(); // a second call changes nothing
    assert.equal(budget.bytesInFlight, 0);
    assert.equal(budget.submit(50, send('big')), true, 'nothing in flight: a response larger than the budget still goes');
    budget.submit(1, send('after'));
    assert.deepEqual(order.slice(-1), ['big']);
    dones.big!();
    assert.deepEqual(order.slice(-1), ['after']);
  });

  it('a response its peer does not take within the stall time (plus a second per MiB) stops holding the budget', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const MiB = 1024 * 1024;
    const budget = new SendBudget(2 * MiB, 1000);
    const order: string[] = [];
    budget.submit(MiB, () => order.push('stuck'));
    budget.submit(2 * MiB, () => order.push('next'));
    t.mock.timers.tick(1999);
    assert.deepEqual(order, ['stuck'], 'a 1 MiB response may take 2 s');
    t.mock.timers.tick(1);
    assert.deepEqual(order, ['stuck', 'next']);
    assert.equal(budget.bytesInFlight, 2 * MiB, 'only the one just started counts');
    mock.timers.reset();
  });
});

describe('BudgetedStream', () => {
  it('writes in order through the budget; drained waits for queued writes; close frees what the stream held', async () => {
    const budget = new SendBudget(4, 60_000);
    const a = new Sink();
    const b = new Sink();
    const sa = new BudgetedStream(budget, sinkOf(a));
    const sb = new BudgetedStream(budget, sinkOf(b));
    assert.equal(sa.write(res('aaa')), true);
    assert.equal(sb.write(res('bbb')), false, 'waits for a to be taken');
    assert.equal(sa.write(res('a2')), false);
    const drained = drainedYet(sb);
    await tick();
    assert.equal(drained(), false);
    assert.deepEqual(b.got, []);
    a.take();
    await tick();
    assert.deepEqual(b.got, ['bbb']);
    assert.equal(drained(), true, 'its write went out');
    assert.deepEqual(a.got, ['aaa'], 'a2 waits behind bbb');
    sb.close(); // b never takes it: closing frees its share
    await tick();
    assert.deepEqual(a.got, ['aaa', 'a2']);
    const c = new Sink();
    const sc = new BudgetedStream(budget, sinkOf(c));
    sc.write(res('cccc'));
    sc.close();
    const sd = new BudgetedStream(budget, sinkOf(new Sink()));
    sd.write(res('d'));
    a.take();
    await tick();
    assert.equal(budget.bytesInFlight, 1, 'the closed stream\'s queued write was dropped, d went');
    await sc.drained(); // resolves at once when closed
  });

  it('hands a stream its next response only once its peer took the last, budget or not (one copy per stream)', async () => {
    const budget = new SendBudget(1 << 20, 60_000);
    const sink = new Sink();
    const stream = new BudgetedStream(budget, sinkOf(sink));
    assert.equal(stream.write(res('x1')), true);
    assert.equal(stream.write(res('x2')), false, 'waits for x1 to be taken');
    assert.equal(stream.write(res('x3')), false);
    const drained = drainedYet(stream);
    await tick();
    assert.deepEqual(sink.got, ['x1']);
    assert.equal(budget.bytesInFlight, 2);
    sink.take();
    await tick();
    assert.deepEqual(sink.got, ['x1', 'x2']);
    assert.equal(drained(), false, 'x3 still waits');
    sink.take();
    await tick();
    assert.deepEqual(sink.got, ['x1', 'x2', 'x3']);
    assert.equal(drained(), true);
  });
});
