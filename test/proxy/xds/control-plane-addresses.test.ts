// Which control-plane address each connection attempt takes: targets in turn, and every address of a name in turn.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlaneAddresses } from '../../../src/proxy/xds/control-plane-addresses.js';

describe('ControlPlaneAddresses', () => {
  it('takes the targets in turn and a name\'s addresses in turn, keeping the name for TLS', async () => {
    const looked: string[] = [];
    const a = new ControlPlaneAddresses(['cp.mesh.test:15012', '10.0.0.9:15012'], async (host) => {
      looked.push(host);
      return ['10.0.0.1', '10.0.0.2', 'fd00::3'];
    });
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await a.next());
    assert.deepEqual(got, [
      { address: '10.0.0.1:15012', name: 'cp.mesh.test' },
      { address: '10.0.0.9:15012' },
      { address: '10.0.0.2:15012', name: 'cp.mesh.test' },
      { address: '10.0.0.9:15012' },
      { address: '[fd00::3]:15012', name: 'cp.mesh.test' },
      { address: '10.0.0.9:15012' },
    ]);
    assert.equal(looked.length, 3, 'the name is resolved again at each attempt on it');
  });

  it('an IPv6 literal is not looked up; a name without address or with a failed lookup says so', async () => {
    assert.deepEqual(await new ControlPlaneAddresses(['[::1]:15012'], () => assert.fail('no lookup')).next(), { address: '[::1]:15012' });
    await assert.rejects(new ControlPlaneAddresses(['cp:15012'], async () => []).next(), /cannot resolve cp: no address/);
    await assert.rejects(new ControlPlaneAddresses(['cp:15012'], async () => Promise.reject(new Error('ENOTFOUND cp'))).next(), /cannot resolve cp: ENOTFOUND cp/);
    assert.throws(() => new ControlPlaneAddresses([]), /no control plane address/);
  });
});
