// Rotation status across replicas: what peers say is checked, and a replica that is behind or silent keeps a rotation waiting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RotationStatus } from '../../../src/control/ca/rotation.js';
import { mergeWaiting, rotationStatus } from '../../../src/control/http/ca-routes.js';

const root = (fingerprint: string, active: boolean): RotationStatus['roots'][number] => ({ subject: 'O=trellis', fingerprint, notAfter: '2036-01-01T00:00:00.000Z', active });
const status = (roots: RotationStatus['roots'], waiting: RotationStatus['waiting'] = []): RotationStatus => ({ phase: roots.length > 1 ? 'overlap' : 'stable', roots, next: 'activate', waiting });

describe('rotation status across replicas', () => {
  it('adds every peer\'s stragglers, a peer on other roots, and a peer that did not answer', () => {
    const local = status([root('A', true), root('B', false)], [{ proxy: 'p1', lacks: 'the current trust bundle (ROOTCA)' }]);
    const merged = mergeWaiting(
      local,
      [
        { replica: 'r2', body: status([root('A', true), root('B', false)], [{ proxy: 'p2', lacks: 'the current trust bundle (ROOTCA)' }]) },
        { replica: 'r3', body: status([root('A', true)]) },
      ],
      [{ replica: 'r4', error: 'timed out after 3000 ms' }],
    );
    assert.deepEqual(merged.waiting, [
      { proxy: 'p1', lacks: 'the current trust bundle (ROOTCA)' },
      { proxy: 'p2', lacks: 'the current trust bundle (ROOTCA)' },
      { proxy: 'control-plane replica r3', lacks: 'the current CA state (it has not followed the last step yet)' },
      { proxy: 'control-plane replica r4', lacks: 'an answer (timed out after 3000 ms): the proxies connected to it are not known' },
    ]);
    assert.deepEqual(merged.roots, local.roots);
    assert.deepEqual(mergeWaiting(local, [{ replica: 'r2', body: status(local.roots) }], []).waiting, local.waiting, 'a peer in step adds nothing');
  });

  it('takes from a peer only a well-formed status: anything else is a reason, never a throw (property)', () => {
    assert.equal(typeof rotationStatus(status([root('A', true)])), 'object');
    for (const bad of [null, [], 'x', { waiting: [] }, { roots: [], waiting: [{ proxy: 1, lacks: 'x' }] }, { roots: [{}], waiting: [] }, { roots: [], waiting: new Array(200_001).fill({ proxy: 'p', lacks: 'l' }) }]) {
      assert.equal(typeof rotationStatus(bad), 'string', JSON.stringify(bad)?.slice(0, 80));
    }
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const r = rotationStatus(v);
        assert.ok(typeof r === 'string' || (Array.isArray(r.waiting) && Array.isArray(r.roots)));
      }),
    );
  });
});
