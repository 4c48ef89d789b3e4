// Tests the authenticated xDS/CA port (15012) of a real control plane: TLS from the mesh CA, identity by token or workload
// certificate, the node's claim checked against it, and the CA signing only the proven identity.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from '../../../src/control/ca/authority.js';
import { generateRoot } from '../../../src/control/ca/root.js';
import { createCsr } from '../../../src/common/pki/csr.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { requestCertificate } from '../../../src/proxy/identity/ca-client.js';
import { connectH2, unaryCall, type GrpcMethod } from '../../../src/proxy/xds/grpc-call.js';
import { CREATE_CERTIFICATE_PATH, MAX_CA_MESSAGE_BYTES } from '../../../src/xds/ca-service.js';
import { AdsStream } from '../../../src/proxy/xds/ads-stream.js';
import { adsMethods } from '../../../src/proxy/xds/ads-methods.js';
import type { XdsCredentials } from '../../../src/proxy/xds/xds-credentials.js';
import { SECRET_TYPE } from '../../../src/xds/type-urls.js';
import type { DiscoveryResponse } from '../../../src/xds/ads-service.js';

let cp: ControlPlane;
const logs: string[] = [];
let target: string;

before(async () => {
  cp = await startControlPlane({ store: createMemoryStore(), xdsTlsPort: 0, httpPort: 0, debounceMs: 10, log: (m) => logs.push(m) });
  target = `127.0.0.1:${cp.xdsTlsPort}`;
});
after(() => cp.close());

async function token(namespace: string, serviceAccount: string, ttlS = 600): Promise<string> {
  return (await cp.identityTokens.sign({ namespace, serviceAccount }, ttlS)).token;
}

function creds(extra: Partial<XdsCredentials> = {}): XdsCredentials {
  return { ca: cp.ca.rootsPem(), ...extra };
}

/** Opens one SotW ADS stream asking for ROOTCA as `node`; resolves with the first response or the close reason. */
function adsOnce(c: XdsCredentials, node: { id: string; metadata: Record<string, unknown> }): Promise<{ res?: DiscoveryResponse; closed?: string }> {
  return new Promise((resolve) => {
    const m = adsMethods('ads').sotw;
    const stream: AdsStream<unknown, DiscoveryResponse> = new AdsStream(m as never, { targets: [target], credentials: c, backoff: { baseMs: 60_000 } }, {
      onOpen: () => stream.send({ node, type_url: SECRET_TYPE, resource_names: ['ROOTCA'] }),
      onResponse: (res) => {
        stream.close();
        resolve({ res });
      },
      onClose: (reason) => {
        stream.close();
        resolve({ closed: reason });
      },
    });
    stream.start();
  });
}

const node = (ns: string, sa: string): { id: string; metadata: Record<string, unknown> } => ({ id: `sidecar~127.0.0.1~x-1.${ns}~${ns}.svc.cluster.local`, metadata: { NAMESPACE: ns, SERVICE_ACCOUNT: sa } });

describe('authenticated xDS (--xds-tls-port)', () => {
  it('serves a proxy whose token matches its node, with the mesh roots as ROOTCA', async () => {
    const r = await adsOnce(creds({ token: await token('default', 'reviews') }), node('default', 'reviews'));
    assert.equal(r.closed, undefined);
    const any = r.res?.resources[0] as { type_url: string; value: Uint8Array } | undefined;
    assert.equal(any?.type_url, SECRET_TYPE);
    const bytes = Buffer.from(any!.value).toString('latin1');
    assert.ok(bytes.includes('ROOTCA') && bytes.includes(cp.ca.rootsPem().trim()), 'the secret ROOTCA carries the mesh roots');
  });

  it('refuses a stream without credentials (UNAUTHENTICATED) and says why in the log', async () => {
    const r = await adsOnce(creds(), node('default', 'reviews'));
    assert.match(r.closed ?? '', /UNAUTHENTICATED/);
    assert.ok(logs.some((l) => /refused stream .*UNAUTHENTICATED: no client certificate/.test(l)));
  });

  it('refuses a node that claims another identity than its token (PERMISSION_DENIED)', async () => {
    const r = await adsOnce(creds({ token: await token('default', 'reviews') }), node('default', 'productpage'));
    assert.match(r.closed ?? '', /PERMISSION_DENIED/);
    assert.ok(logs.some((l) => /PERMISSION_DENIED: node .* claims ns=default sa=productpage but authenticated as ns=default sa=reviews/.test(l)));
    const other = await adsOnce(creds({ token: await token('default', 'reviews') }), node('prod', 'reviews'));
    assert.match(other.closed ?? '', /PERMISSION_DENIED/);
  });

  it('refuses forged, expired and foreign tokens', async () => {
    const good = await token('default', 'reviews');
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${'A'.repeat(86)}`;
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    for (const t of [forged, noneAlg, 'not-a-jwt']) {
      const r = await adsOnce(creds({ token: t }), node('default', 'reviews'));
      assert.match(r.closed ?? '', /UNAUTHENTICATED/, t.slice(0, 20));
    }
    const expired = await cp.identityTokens.sign({ namespace: 'default', serviceAccount: 'reviews' }, 1);
    await new Promise((r) => setTimeout(r, 1100)); // exp has second granularity: the token must be past it
    assert.match((await adsOnce(creds({ token: expired.token }), node('default', 'reviews'))).closed ?? '', /UNAUTHENTICATED/);
  });

  it('signs a CSR for the identity the token proves, whatever the CSR claims; the certificate then authenticates', async () => {
    const { keyPem, csrPem } = await createCsr('spiffe://cluster.local/ns/kube-system/sa/admin');
    const chain = await requestCertificate(target, creds({ token: await token('default', 'reviews') }), csrPem, 3600);
    const leaf = new X509Certificate(chain[0]!);
    assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/reviews');
    assert.ok(new X509Certificate(chain[chain.length - 1]!).verify(new X509Certificate(chain[chain.length - 1]!).publicKey), 'the roots come last');
    const hours = (new Date(leaf.validTo).getTime() - Date.now()) / 3_600_000;
    assert.ok(hours > 0.9 && hours < 1.1, `asked for 1 h, got ${hours} h`);
    // no token any more: the certificate alone proves the identity (and a mismatching node is still refused)
    const withCert = creds({ staticCert: { cert: chain[0]!, key: keyPem } });
    assert.equal((await adsOnce(withCert, node('default', 'reviews'))).closed, undefined);
    assert.match((await adsOnce(withCert, node('default', 'ratings'))).closed ?? '', /PERMISSION_DENIED/);
  });

  it('a certificate from another CA proves nothing; without a token the CA refuses to sign', async () => {
    const foreign = await CertificateAuthority.open('cluster.local', await generateRoot('cluster.local'));
    const { keyPem, csrPem } = await createCsr();
    const issued = await foreign.sign(csrPem, { namespace: 'default', serviceAccount: 'reviews' });
    const c = creds({ staticCert: { cert: issued.certChainPem, key: keyPem } });
    assert.match((await adsOnce(c, node('default', 'reviews'))).closed ?? '', /UNAUTHENTICATED/);
    await assert.rejects(requestCertificate(target, c, csrPem, 0), /UNAUTHENTICATED/);
    await assert.rejects(requestCertificate(target, creds(), csrPem, 0), /UNAUTHENTICATED/);
  });

  it('an expired or not-yet-valid certificate from the mesh CA proves nothing', async () => {
    for (const [what, now] of [['expired', Date.now() - 2 * 3600_000], ['not yet valid', Date.now() + 2 * 3600_000]] as const) {
      const { keyPem, csrPem } = await createCsr();
      const issued = await cp.ca.sign(csrPem, { namespace: 'default', serviceAccount: 'reviews' }, 3600_000, now);
      const c = creds({ staticCert: { cert: issued.certChainPem, key: keyPem } });
      assert.match((await adsOnce(c, node('default', 'reviews'))).closed ?? '', /UNAUTHENTICATED/, what);
    }
  });

  it('hostile CreateCertificate requests get a clear error and the control plane keeps serving', async () => {
    const t = await token('default', 'reviews');
    await assert.rejects(requestCertificate(target, creds({ token: t }), 'not a CSR', 0), /INVALID_ARGUMENT: the CSR does not parse/);
    const { csrPem } = await createCsr();
    // one byte of the signature flipped: the CSR parses but does not prove possession of its key
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(requestCertificate(target, creds({ token: t }), tampered, 0), /INVALID_ARGUMENT/);
    // bytes that are no IstioCertificateRequest at all, and one far over the size bound
    const session = await connectH2(target, { connectTimeoutMs: 5000, tls: { ca: cp.ca.rootsPem() } });
    try {
      for (const bytes of [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), Buffer.alloc(MAX_CA_MESSAGE_BYTES + 10, 0x0a)]) {
        const raw: GrpcMethod<Buffer, unknown> = { path: CREATE_CERTIFICATE_PATH, serialize: (b) => b, deserialize: (b) => b };
        await assert.rejects(unaryCall(session, raw, bytes, { authorization: `Bearer ${t}` }), /INTERNAL|INVALID_ARGUMENT|RESOURCE_EXHAUSTED/);
      }
    } finally {
      session.close();
    }
    const { csrPem: good } = await createCsr();
    assert.equal((await requestCertificate(target, creds({ token: t }), good, 0)).length >= 2, true, 'still issuing');
  });

  it('a client that does not trust the mesh root does not talk to the control plane', async () => {
    const other = await generateRoot('cluster.local');
    const { csrPem } = await createCsr();
    await assert.rejects(requestCertificate(target, { ca: other.rootsPem.join('\n'), token: await token('default', 'reviews') }, csrPem, 0), /certificate|self.signed|verify/i);
  });
});
