// Tests the dashboard's browser-side pure helpers in Node: the revision line diff (with fast-check) and the number formats and health thresholds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

type Line = [string, string];
interface DiffModule {
  lineDiff(a: string[], b: string[], context?: number): Line[];
}
interface DomModule {
  healthOf(successRate: number | null, requestRate: number): string;
  fmtRate(r: number | null): string;
  fmtPct(x: number | null): string;
  fmtMs(ms: number | null): string;
  fmtRelative(iso: string, now?: number): string;
}

// plain browser ES modules, shipped beside the server (not TypeScript): loaded by path at run time
const assets = new URL('../../../src/control/dashboard/assets/', import.meta.url);
const { lineDiff } = (await import(new URL('diff.js', assets).href)) as DiffModule;
const dom = (await import(new URL('dom.js', assets).href)) as DomModule;

describe('dashboard line diff', () => {
  it('marks added and removed lines and keeps the common ones', () => {
    assert.deepEqual(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c']), [
      [' ', 'a'],
      ['-', 'b'],
      ['+', 'x'],
      [' ', 'c'],
    ]);
    assert.deepEqual(lineDiff([], ['n']), [['+', 'n']]);
    assert.deepEqual(lineDiff(['o'], []), [['-', 'o']]);
  });

  it('cuts long unchanged runs to the context around changes', () => {
    const a = Array.from({ length: 30 }, (_, i) => `l${i}`);
    const b = [...a];
    b[15] = 'changed';
    const out = lineDiff(a, b, 2);
    assert.deepEqual(out[0], [' ', '… 13 unchanged lines']);
    assert.equal(out.filter((l) => l[0] !== ' ').length, 2);
    assert.deepEqual(out.at(-1), [' ', '… 12 unchanged lines']);
  });

  it('property: without cutting, the old side is the lines not added and the new side the lines not removed', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 25 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const out = lineDiff(a, b, 1e9);
        assert.deepEqual(out.filter((l) => l[0] !== '+').map((l) => l[1]), a);
        assert.deepEqual(out.filter((l) => l[0] !== '-').map((l) => l[1]), b);
        // minimal: the unchanged lines are a longest common subsequence, so identical inputs change nothing
        if (a.join() === b.join()) assert.ok(out.every((l) => l[0] === ' '));
      }),
    );
  });
});

describe('dashboard formats', () => {
  it('health thresholds: green ≥ 99 %, amber ≥ 95 %, red below, idle without traffic', () => {
    assert.equal(dom.healthOf(1, 5), 'ok');
    assert.equal(dom.healthOf(0.99, 5), 'ok');
    assert.equal(dom.healthOf(0.9899, 5), 'warn');
    assert.equal(dom.healthOf(0.95, 5), 'warn');
    assert.equal(dom.healthOf(0.9499, 5), 'bad');
    assert.equal(dom.healthOf(null, 5), 'idle');
    assert.equal(dom.healthOf(1, 0), 'idle');
  });

  it('rates, percentages, latencies and relative times', () => {
    assert.equal(dom.fmtRate(0), '0/s');
    assert.equal(dom.fmtRate(0.25), '0.25/s');
    assert.equal(dom.fmtRate(2.5), '2.5/s');
    assert.equal(dom.fmtRate(120.4), '120/s');
    assert.equal(dom.fmtRate(null), '–');
    assert.equal(dom.fmtPct(1), '100%');
    assert.equal(dom.fmtPct(0.995), '99.50%');
    assert.equal(dom.fmtPct(0.9), '90.0%');
    assert.equal(dom.fmtMs(null), '–');
    assert.equal(dom.fmtMs(2.34), '2.3ms');
    assert.equal(dom.fmtMs(1500), '1.50s');
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(dom.fmtRelative('2030-01-02T01:30:00Z', now), 'in 1d 1h');
    assert.equal(dom.fmtRelative('2029-12-31T23:57:00Z', now), '3m ago');
    assert.equal(dom.fmtRelative('2030-01-01T05:04:00Z', now), 'in 5h 4m');
    assert.equal(dom.fmtRelative('garbage', now), '–');
  });
});
