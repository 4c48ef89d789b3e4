// Tests a runtime snapshot: layer precedence and Envoy's featureEnabled semantics with a seeded random.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEntry, entryFromStatic } from '../../../src/proxy/runtime-config/entry.js';
import { RuntimeSnapshot, type LoadedLayer } from '../../../src/proxy/runtime-config/snapshot.js';

function layer(name: string, values: Record<string, unknown>): LoadedLayer {
  return { name, values: new Map(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? parseEntry(v) : entryFromStatic(v)])) };
}

/** A deterministic [0,1) source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('runtime snapshot', () => {
  it('later layers override earlier ones', () => {
    const s = new RuntimeSnapshot([layer('static', { a: 1, b: 2 }), layer('disk', { b: '3', c: 'x' }), layer('admin', { c: 'y' })]);
    assert.equal(s.getInteger('a', 0), 1);
    assert.equal(s.getInteger('b', 0), 3);
    assert.equal(s.get('c'), 'y');
    assert.equal(s.getInteger('missing', 42), 42);
    assert.equal(s.getInteger('c', 7), 7, 'a non-number falls back to the default');
    assert.equal(s.getInteger('', 9), 9, 'an empty key names nothing');
  });

  it('getBoolean and getDouble follow Envoy\'s readings', () => {
    const s = new RuntimeSnapshot([layer('l', { on: 'true', one: '1', zero: '0', d: '2.5', word: 'yes' })]);
    assert.equal(s.getBoolean('on', false), true);
    assert.equal(s.getBoolean('one', false), true);
    assert.equal(s.getBoolean('zero', true), false);
    assert.equal(s.getBoolean('word', true), true, 'not a boolean: the default');
    assert.equal(s.getDouble('d', 0), 2.5);
  });

  it('featureEnabled with an integer default: random % 100 < value', () => {
    const s = new RuntimeSnapshot([layer('l', { k: 30, big: 250 })]);
    assert.equal(s.featureEnabled('k', 0, 29), true);
    assert.equal(s.featureEnabled('k', 0, 30), false);
    assert.equal(s.featureEnabled('k', 0, 129), true, 'the random value is taken mod 100');
    assert.equal(s.featureEnabled('big', 0, 99), true, 'capped at 100');
    assert.equal(s.featureEnabled('none', 5, 4), true, 'default used');
    assert.equal(s.featureEnabled('none', 5, 5), false);
  });

  it('featureEnabled with a FractionalPercent default', () => {
    const s = new RuntimeSnapshot([layer('l', { pct: 25, frac: { numerator: 5, denominator: 'TEN_THOUSAND' }, over: 101 })]);
    const dflt = { numerator: 1, denominator: 'MILLION' as const };
    // an integer value is a percentage of 100 whatever the default's denominator
    assert.equal(s.featureEnabled('pct', dflt, 24), true);
    assert.equal(s.featureEnabled('pct', dflt, 25), false);
    assert.equal(s.featureEnabled('frac', dflt, 10004), true);
    assert.equal(s.featureEnabled('frac', dflt, 10005), false);
    assert.equal(s.featureEnabled('over', dflt, 99), true, 'over 100 is always on');
    assert.equal(s.featureEnabled('none', dflt, 1_000_000), true, 'default: 1_000_000 % 1e6 = 0 < 1');
    assert.equal(s.featureEnabled('none', dflt, 1), false);
  });

  it('featureEnabled with a seeded random enables about the configured share', () => {
    const s = new RuntimeSnapshot([layer('l', { k: 20 })], seeded(7));
    let on = 0;
    for (let i = 0; i < 10_000; i++) if (s.featureEnabled('k', { numerator: 0, denominator: 'HUNDRED' })) on++;
    assert.ok(on > 1800 && on < 2200, `${on} of 10000`);
    // the same seed gives the same decisions
    const a = new RuntimeSnapshot([layer('l', { k: 20 })], seeded(3));
    const b = new RuntimeSnapshot([layer('l', { k: 20 })], seeded(3));
    for (let i = 0; i < 100; i++) assert.equal(a.featureEnabled('k', 0), b.featureEnabled('k', 0));
  });

  it('fraction agrees with featureEnabled for draws in [0,1)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 300 }), fc.nat({ max: 99 }), (v, r) => {
        const s = new RuntimeSnapshot([layer('l', { k: v })]);
        assert.equal(s.featureEnabled('k', { numerator: 0, denominator: 'HUNDRED' }, r), r / 100 < s.fraction('k', 0));
      }),
    );
    const s = new RuntimeSnapshot([layer('l', { f: { numerator: 3, denominator: 'TEN_THOUSAND' } })]);
    assert.equal(s.fraction('f', 1), 0.0003);
    assert.equal(s.fraction('missing', 0.25), 0.25);
  });
});
