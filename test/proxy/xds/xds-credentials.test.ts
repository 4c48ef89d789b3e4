// The proxy's proof of identity per connection: the certificate when it holds one, else the token; a refusal of the
// certificate is reported so the agent falls back to the token.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectParams, noteRefusal, type XdsCredentials } from '../../../src/proxy/xds/xds-credentials.js';

describe('xDS credentials', () => {
  it('sends the token only while no certificate is presented', () => {
    let held: { cert: string; key: string } | undefined;
    const c: XdsCredentials = { ca: 'CA', token: 'T', workloadCert: () => held };
    assert.deepEqual(connectParams(c), { tls: { ca: 'CA' }, metadata: { authorization: 'Bearer T' } });
    held = { cert: 'C', key: 'K' };
    assert.deepEqual(connectParams(c), { tls: { ca: 'CA', cert: 'C', key: 'K' }, metadata: {} });
  });

  it('reports UNAUTHENTICATED as a refused certificate only when one was presented', () => {
    let refusals = 0;
    const c: XdsCredentials = { ca: 'CA', certificateRefused: () => refusals++ };
    noteRefusal(c, false, 'UNAUTHENTICATED: token refused: expired');
    noteRefusal(c, true, 'UNAVAILABLE: connection reset');
    assert.equal(refusals, 0);
    noteRefusal(c, true, 'UNAUTHENTICATED: no client certificate from the mesh CA and no bearer token');
    assert.equal(refusals, 1);
  });
});
