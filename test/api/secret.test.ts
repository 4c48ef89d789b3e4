// Tests for the Secret kind: parsing (core v1 shape), TLS validation (PEM parses, key matches), refusals of other types by name, and no error ever quoting key material.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { admission, admitResources } from '../../src/api/admission.js';
import { analyze } from '../../src/api/analyze.js';
import { parseResources } from '../../src/api/parse.js';
import { normalizeSecret, secretValues, tlsCredential } from '../../src/api/secret-data.js';
import type { Secret } from '../../src/api/types.js';
import { validateResource } from '../../src/api/validate.js';
import { formatErrors } from '../../src/common/result.js';
import { assertNoMaterial, tempPki, tlsSecretYaml } from '../fixtures/secrets.js';
import type { TestPki } from '../fixtures/certs.js';

let pki: TestPki & { cleanup(): void };
before(() => (pki = tempPki()));
after(() => pki.cleanup());

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function parseOne(yaml: string): Secret {
  const r = parseResources(yaml);
  assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
  assert.equal(r.value[0]!.kind, 'Secret');
  return r.value[0] as Secret;
}

/** `field: reason` of every admission refusal (invalid, then unsupported). */
function refusals(yaml: string): string[] {
  const r = admitResources(yaml);
  return r.ok ? [] : r.errors.map((e) => `${(e as { field?: string }).field}: ${(e as { reason?: string }).reason}`);
}

function expectRefusal(lines: string[], field: string, reason: RegExp): void {
  assert.ok(lines.some((l) => l.startsWith(`${field}: `) && reason.test(l.slice(field.length + 2))), `expected ${field}: ${String(reason)}\ngot:\n${lines.join('\n')}`);
}

describe('Secret: parse and accept TLS credentials', () => {
  it('a kubernetes.io/tls secret parses as core v1 with type and base64 data beside metadata, no spec', () => {
    const s = parseOne(tlsSecretYaml('web-cert', 'istio-system', { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }));
    assert.equal(s.apiVersion, 'v1');
    assert.equal(s.type, 'kubernetes.io/tls');
    assert.deepEqual(Object.keys(s.data ?? {}), ['tls.crt', 'tls.key', 'ca.crt']);
    assert.equal(s.spec, undefined);
    assert.deepEqual(validateResource(s), []);
    assert.deepEqual(admission(s), { invalid: [], unsupported: [] });
  });

  it("Istio's generic form (cert/key/cacert), stringData and a CA-only <name>-cacert secret are accepted", () => {
    for (const yaml of [
      tlsSecretYaml('g', 'default', { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }, 'generic'),
      tlsSecretYaml('s', 'default', { cert: pki.serverCert, key: pki.serverKey }, 'stringData'),
      tlsSecretYaml('web-cacert', 'default', { ca: pki.caCert }),
      tlsSecretYaml('web-cacert2', 'default', { ca: pki.caCert }, 'generic'),
    ]) {
      assert.deepEqual(refusals(yaml), [], yaml);
    }
  });

  it('stringData is folded into base64 data for storage (write-only, as Kubernetes does); stringData wins over data', () => {
    const s = parseOne(`apiVersion: v1
kind: Secret
metadata: {name: x}
type: Opaque
data: {ca.crt: ${b64('old')}}
stringData:
  ca.crt: |
${pki.caCert.trimEnd().replace(/^/gm, '    ')}
`);
    assert.equal(secretValues(s).get('ca.crt')?.text.trim(), pki.caCert.trim());
    const stored = normalizeSecret(s);
    assert.equal(stored.stringData, undefined);
    assert.equal(Buffer.from(stored.data!['ca.crt']!, 'base64').toString().trim(), pki.caCert.trim());
  });

  it('the credential forms: generic keys win over kubernetes.io/tls ones, as Istio reads them', () => {
    const s = parseOne(`apiVersion: v1
kind: Secret
metadata: {name: x}
data: {cert: ${b64(pki.serverCert)}, key: ${b64(pki.serverKey)}, tls.crt: ${b64(pki.clientCert)}, tls.key: ${b64(pki.clientKey)}, ca.crt: ${b64(pki.caCert)}}
`);
    const c = tlsCredential(secretValues(s));
    assert.equal(c.certificate?.chainKey, 'cert');
    assert.equal(c.ca?.key, 'ca.crt');
  });
});

describe('Secret: refusals name resource, field and reason and never quote a value', () => {
  const material = (): Record<string, string> => ({ 'server key': pki.serverKey, 'client key': pki.clientKey, 'server cert': pki.serverCert });

  it('a key that does not match the certificate, a chain that does not parse, invalid base64', () => {
    const lines = refusals(`apiVersion: v1
kind: Secret
metadata: {name: mixed, namespace: prod}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(pki.serverCert)}
  tls.key: ${b64(pki.clientKey)}
  ca.crt: ${b64(pki.serverKey)}
---
apiVersion: v1
kind: Secret
metadata: {name: bad64}
type: kubernetes.io/tls
data: {tls.crt: "not base64!", tls.key: ${b64(pki.serverKey)}}
`);
    expectRefusal(lines, 'data["tls.key"]', /^the private key does not match the certificate's public key/);
    expectRefusal(lines, 'data["ca.crt"]', /^not a PEM CA bundle: PEM block 1 is a "PRIVATE KEY", not a CERTIFICATE|^not a PEM CA bundle: PEM block 1 is a "EC PRIVATE KEY", not a CERTIFICATE/);
    expectRefusal(lines, 'data["tls.crt"]', /^is not valid base64/);
    const r = admitResources(`apiVersion: v1\nkind: Secret\nmetadata: {name: mixed, namespace: prod}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${b64(pki.serverCert)}, tls.key: ${b64(pki.clientKey)}}\n`);
    assert.ok(!r.ok);
    assert.match(formatErrors(r.errors), /^Secret prod\/mixed: data\["tls.key"\]: the private key does not match/m);
    assertNoMaterial(lines.join('\n') + formatErrors(r.errors), material(), 'refusal');
  });

  it('the leaf must come first; encrypted keys, missing halves and required tls keys are named', () => {
    const encrypted = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const lines = refusals(`apiVersion: v1
kind: Secret
metadata: {name: order}
data: {tls.crt: ${b64(pki.caCert + pki.serverCert)}, tls.key: ${b64(pki.serverKey)}}
---
apiVersion: v1
kind: Secret
metadata: {name: enc}
data: {cert: ${b64(pki.serverCert)}, key: ${b64(encrypted)}}
---
apiVersion: v1
kind: Secret
metadata: {name: half}
type: kubernetes.io/tls
data: {tls.crt: ${b64(pki.serverCert)}}
---
apiVersion: v1
kind: Secret
metadata: {name: half2}
stringData: {cert: x}
`);
    expectRefusal(lines, 'data["tls.key"]', /belongs to certificate 2 of the chain; the leaf it belongs to must come first/);
    expectRefusal(lines, 'data["key"]', /encrypted/);
    expectRefusal(lines, 'data["tls.key"]', /required for a kubernetes.io\/tls secret/);
    expectRefusal(lines, 'data["tls.crt"]', /"tls.crt" needs its private key "tls.key" beside it/);
    expectRefusal(lines, 'stringData["cert"]', /"cert" needs its private key "key" beside it/);
  });

  it('a copy read without --show-secrets ("<redacted>") says how to get the real value', () => {
    const lines = refusals(`apiVersion: v1\nkind: Secret\nmetadata: {name: r}\ntype: kubernetes.io/tls\ndata: {tls.crt: <redacted>, tls.key: <redacted>}\n`);
    expectRefusal(lines, 'data["tls.crt"]', /is "<redacted>": a copy read without --show-secrets/);
    assert.equal(lines.length, 2, lines.join('\n'));
  });

  it('other Secret types and non-TLS Opaque secrets are refused by name; analyze --offline says the same (TRL0004)', () => {
    const basic = `apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ntype: kubernetes.io/basic-auth\nstringData: {username: admin, password: hunter2-very-secret}\n`;
    const opaque = `apiVersion: v1\nkind: Secret\nmetadata: {name: token}\nstringData: {api-token: sk-live-0123456789abcdef}\n`;
    const lines = [...refusals(basic), ...refusals(opaque)];
    expectRefusal(lines, 'type', /^type is not supported by trellis yet \("kubernetes.io\/basic-auth" secrets are not served; trellis serves TLS credentials only/);
    expectRefusal(lines, 'data', /an Opaque secret is served only as a TLS credential: it holds api-token; expected tls.crt \+ tls.key/);
    const text = lines.join('\n');
    assert.ok(!text.includes('hunter2') && !text.includes('sk-live'), text);
    const parsed = parseResources(basic + '---\n' + opaque);
    assert.ok(parsed.ok);
    const messages = analyze(parsed.value);
    assert.deepEqual(messages.map((m) => `${m.code} ${m.resource} ${m.path}`).sort(), ['TRL0004 Secret default/creds type', 'TRL0004 Secret default/token data']);
  });

  it('the envelope: apiVersion v1 only, no spec, kubectl -o yaml bookkeeping accepted', () => {
    const r = parseResources(`apiVersion: networking.istio.io/v1\nkind: Secret\nmetadata: {name: a}\nspec: {}\n`);
    assert.ok(!r.ok);
    const text = formatErrors(r.errors);
    assert.match(text, /apiVersion: unsupported apiVersion "networking.istio.io\/v1" for kind Secret \(accepted: v1\)/);
    assert.match(text, /spec: unknown field "spec" \(expected apiVersion, kind, metadata, type, data, stringData, immutable\)/);
    const exported = parseOne(`apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: n, resourceVersion: "12", uid: u}\ntype: Opaque\ndata: {ca.crt: ${b64(pki.caCert)}}\n`);
    assert.deepEqual(validateResource(exported), []);
  });

  it('property: arbitrary values under data/stringData never throw and are never quoted in any refusal', () => {
    const value = fc.string({ minLength: 12, maxLength: 80 }).filter((s) => !s.includes('<redacted>') && s.trim() === s && /^[A-Za-z0-9+/=]+$|^[\x20-\x7e]+$/.test(s));
    fc.assert(
      fc.property(value, fc.constantFrom('tls.crt', 'tls.key', 'ca.crt', 'cert', 'key', 'cacert', 'other'), fc.boolean(), fc.constantFrom('kubernetes.io/tls', 'Opaque', 'kubernetes.io/ssh-auth'), (v, key, plain, type) => {
        const doc = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type, [plain ? 'stringData' : 'data']: { [key]: v } };
        const r = admitResources(JSON.stringify(doc));
        const text = r.ok ? '' : formatErrors(r.errors);
        assert.ok(!text.includes(v), `refusal quotes the value: ${text}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('analyze: IST0161 InvalidGatewayCredential where the gateway workloads are known', () => {
  const gateway = (mode: string): string => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: ${mode}, credentialName: httpbin-credential}
    hosts: [httpbin.example.com]
`;
  const run = (yaml: string, workloads = [{ labels: { istio: 'ingressgateway' }, namespace: 'istio-system' }]): string[] => {
    const parsed = parseResources(yaml);
    assert.ok(parsed.ok, parsed.ok ? '' : formatErrors(parsed.errors));
    return analyze(parsed.value, workloads).map((m) => `${m.code} ${m.path ?? ''}: ${m.message}`);
  };

  it('the Secret must be in the gateway workload namespace (not the Gateway one) and hold what the mode needs', () => {
    const inDefault = tlsSecretYaml('httpbin-credential', 'default', { cert: pki.serverCert, key: pki.serverKey });
    assert.deepEqual(run(gateway('SIMPLE') + '---\n' + inDefault), [
      'IST0161 spec.servers[0].tls.credentialName: Invalid certificate reference httpbin-credential: secret istio-system/httpbin-credential not found (a gateway reads credentials from its own namespace)',
    ]);
    const simple = tlsSecretYaml('httpbin-credential', 'istio-system', { cert: pki.serverCert, key: pki.serverKey });
    assert.deepEqual(run(gateway('SIMPLE') + '---\n' + simple), []);
    assert.match(run(gateway('MUTUAL') + '---\n' + simple).join('\n'), /IST0161 .*no CA to verify clients: neither istio-system\/httpbin-credential-cacert nor istio-system\/httpbin-credential holds ca.crt or cacert/);
    assert.deepEqual(run(gateway('MUTUAL') + '---\n' + simple + '---\n' + tlsSecretYaml('httpbin-credential-cacert', 'istio-system', { ca: pki.caCert })), []);
    const caOnly = tlsSecretYaml('httpbin-credential', 'istio-system', { ca: pki.caCert });
    assert.match(run(gateway('SIMPLE') + '---\n' + caOnly).join('\n'), /holds no certificate and key/);
  });

  it('without known workloads (offline analyze of files) the namespace cannot be judged: no message', () => {
    const parsed = parseResources(gateway('SIMPLE'));
    assert.ok(parsed.ok);
    assert.deepEqual(analyze(parsed.value), []);
  });
});
