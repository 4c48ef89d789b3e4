// Tests x-forwarded-client-cert handling: the HCM fields validate; each forward_client_cert_details mode with and
// without a verified client certificate; the element's format (By, Hash, Cert, Subject, URI, DNS) as Envoy writes it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { parseBootstrap } from '../../../src/proxy/config/index.js';
import type { HttpConnectionManager } from '../../../src/proxy/config/types.js';
import { applyXfcc, xfccOptions, type XfccOptions } from '../../../src/proxy/http/xfcc.js';
import type { DownstreamConnectionInfo } from '../../../src/proxy/http/types.js';
import type { HeaderMap } from '../../../src/proxy/router/types.js';
import { HCM, base, errorsOf, set } from '../config/helpers.js';
import '../../all-filters.js';

const DER = Buffer.from('not really a certificate');
const HASH = createHash('sha256').update(DER).digest('hex');
const MTLS: NonNullable<DownstreamConnectionInfo['tls']> = {
  peerUriSans: ['spiffe://cluster.local/ns/foo/sa/sleep'],
  peerDnsSans: ['sleep.foo'],
  peerSubject: '',
  peerCertificate: DER,
  localUriSans: ['spiffe://cluster.local/ns/foo/sa/httpbin'],
};
const TLS_NO_CERT: NonNullable<DownstreamConnectionInfo['tls']> = { peerUriSans: [] };
const ISTIO: XfccOptions = { mode: 'APPEND_FORWARD', details: { subject: true, cert: false, dns: true, uri: true } };

function run(tls: DownstreamConnectionInfo['tls'], o: XfccOptions, xfcc?: string): string | undefined {
  const h: HeaderMap = xfcc === undefined ? {} : { 'x-forwarded-client-cert': xfcc };
  applyXfcc(h, tls, o);
  const v = h['x-forwarded-client-cert'];
  return Array.isArray(v) ? v.join(',') : v;
}

describe('x-forwarded-client-cert', () => {
  it("Istio's sidecar inbound (APPEND_FORWARD, subject/uri/dns): By, Hash, Subject, URI, DNS appended to what came", () => {
    const el = `By=spiffe://cluster.local/ns/foo/sa/httpbin;Hash=${HASH};Subject="";URI=spiffe://cluster.local/ns/foo/sa/sleep;DNS=sleep.foo`;
    assert.equal(run(MTLS, ISTIO), el);
    assert.equal(run(MTLS, ISTIO, 'By=a;Hash=b'), `By=a;Hash=b,${el}`);
    assert.equal(run(MTLS, { ...ISTIO, mode: 'SANITIZE_SET' }, 'By=a;Hash=b'), el);
  });

  it('Cert is the URL-encoded PEM; subjects are quoted with quotes escaped', () => {
    const v = run({ ...MTLS, peerSubject: 'CN=a "b"' }, { mode: 'SANITIZE_SET', details: { subject: true, cert: true, dns: false, uri: false } })!;
    assert.match(v, /;Cert="-----BEGIN%20CERTIFICATE-----%0A[A-Za-z0-9%]+-----END%20CERTIFICATE-----%0A";Subject="CN=a \\"b\\""$/);
  });

  it('without a verified client certificate the header never passes, except ALWAYS_FORWARD_ONLY; SANITIZE (the default) always removes it', () => {
    for (const tls of [undefined, TLS_NO_CERT]) {
      for (const mode of ['SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET'] as const) assert.equal(run(tls, { ...ISTIO, mode }, 'By=forged'), undefined, mode);
      assert.equal(run(tls, { ...ISTIO, mode: 'ALWAYS_FORWARD_ONLY' }, 'By=x'), 'By=x');
    }
    assert.equal(run(MTLS, xfccOptions({} as HttpConnectionManager), 'By=forged'), undefined);
    assert.equal(run(MTLS, { ...ISTIO, mode: 'FORWARD_ONLY' }, 'By=up'), 'By=up');
  });

  it('property: a client without a certificate can never get its own value through (any mode but ALWAYS_FORWARD_ONLY)', () => {
    fc.assert(
      fc.property(fc.constantFrom('SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET'), fc.string(), (mode, forged) => run(TLS_NO_CERT, { ...ISTIO, mode }, forged) === undefined),
    );
  });

  it('the HCM fields validate; chain is refused by name, unknown modes too', () => {
    const b = base();
    set(b, `${HCM}.forward_client_cert_details`, 'APPEND_FORWARD');
    set(b, `${HCM}.set_current_client_cert_details`, { subject: true, uri: true, dns: true });
    const r = parseBootstrap(b, { baseDir: '/' });
    assert.ok(r.ok);
    const h = r.value.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config as HttpConnectionManager;
    assert.equal(h.forward_client_cert_details, 'APPEND_FORWARD');
    assert.deepEqual(h.set_current_client_cert_details, { subject: true, cert: false, dns: true, uri: true });
    set(b, `${HCM}.forward_client_cert_details`, 'SOMETIMES');
    set(b, `${HCM}.set_current_client_cert_details`, { chain: true });
    const e = errorsOf(parseBootstrap(b, { baseDir: '/' })).map((x) => `${x.path}: ${x.message}`).join('\n');
    assert.match(e, /forward_client_cert_details: /);
    assert.match(e, /set_current_client_cert_details\.chain: .*not (supported|implemented)/);
  });
});
