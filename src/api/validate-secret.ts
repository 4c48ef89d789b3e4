// API stage: rules for a core v1 Secret — Kubernetes' shape (base64 data, stringData, key names) and, for TLS secrets, PEM that parses with a key matching its certificate; no reason ever quotes a value.
import { keyMismatch, parseCertificates, parsePrivateKey } from './pem.js';
import type { Report } from './rules.js';
import { isPlainObject, isSet } from './schema.js';
import { CA_KEYS, CERT_KEY_PAIRS, isBase64, secretKeyError, secretValues, type SecretValue } from './secret-data.js';
import { SECRET_TYPES } from './types.js';

/** What `get` shows in place of a value read without --show-secrets (see control/http/secret-redaction). */
export const REDACTED_VALUE = '<redacted>';

const mapPath = (field: string, key: string): string => `${field}[${JSON.stringify(key)}]`;

function checkValues(field: 'data' | 'stringData', v: unknown, report: Report): void {
  if (!isSet(v)) return;
  if (!isPlainObject(v)) return report(field, 'expected a map of key to value');
  for (const [key, value] of Object.entries(v)) {
    const p = mapPath(field, key);
    const keyProblem = secretKeyError(key);
    if (keyProblem !== undefined) report(p, keyProblem);
    if (typeof value !== 'string') report(p, 'expected a string value');
    else if (value.startsWith(REDACTED_VALUE)) report(p, `is "${REDACTED_VALUE}": a copy read without --show-secrets; give the real value (trellis get secret NAME -o yaml --show-secrets, with the admin token)`);
    else if (field === 'data' && !isBase64(value)) report(p, 'is not valid base64 (data values are base64-encoded; put plain PEM text under stringData)');
  }
}

/** A certificate/key pair: both parse and the key belongs to the chain's first (leaf) certificate. */
function checkPair(chain: SecretValue, key: SecretValue, report: Report): void {
  const certs = parseCertificates(chain.text);
  if (!certs.ok) report(chain.path, `not a PEM certificate chain: ${certs.reason}`);
  const pk = parsePrivateKey(key.text);
  if (!pk.ok) report(key.path, `not a usable private key: ${pk.reason}`);
  if (certs.ok && pk.ok) {
    const mismatch = keyMismatch(pk.value, certs.value);
    if (mismatch !== undefined) report(key.path, mismatch);
  }
}

/** TLS material of a kubernetes.io/tls or Opaque secret: complete pairs that parse and match, CA bundles that parse. */
function checkTls(values: ReadonlyMap<string, SecretValue>, report: Report): void {
  for (const [c, k] of CERT_KEY_PAIRS) {
    const chain = values.get(c);
    const key = values.get(k);
    if (chain !== undefined && key !== undefined) checkPair(chain, key, report);
    else if (chain !== undefined) report(chain.path, `"${c}" needs its private key "${k}" beside it`);
    else if (key !== undefined) report(key.path, `"${k}" needs its certificate "${c}" beside it`);
  }
  for (const k of CA_KEYS) {
    const ca = values.get(k);
    if (ca === undefined) continue;
    const certs = parseCertificates(ca.text);
    if (!certs.ok) report(ca.path, `not a PEM CA bundle: ${certs.reason}`);
  }
}

/** Every problem of a Secret (the whole resource: a Secret has no spec). */
export function validateSecret(r: Record<string, unknown>, report: Report): void {
  const type = r.type;
  if (isSet(type) && (typeof type !== 'string' || type === '')) report('type', 'expected a non-empty string');
  if (isSet(r.immutable) && typeof r.immutable !== 'boolean') report('immutable', 'expected true or false');
  checkValues('data', r.data, report);
  checkValues('stringData', r.stringData, report);
  const effective = typeof type === 'string' && type !== '' ? type : 'Opaque';
  // other types are refused by name as unsupported; their contents are not TLS material to judge
  if (!(SECRET_TYPES as readonly string[]).includes(effective)) return;
  const data = isPlainObject(r.data) ? r.data : {};
  const values = secretValues({ data: data as Record<string, string>, stringData: isPlainObject(r.stringData) ? (r.stringData as Record<string, string>) : undefined });
  if (effective === 'kubernetes.io/tls') {
    // Kubernetes' own rule for this type
    for (const k of ['tls.crt', 'tls.key']) if (!values.has(k)) report(mapPath('data', k), 'required for a kubernetes.io/tls secret');
  }
  // values already reported (redacted copies, not base64) would only add confusing PEM errors
  for (const [k, v] of values) if (v.text.startsWith(REDACTED_VALUE) || (v.path.startsWith('data') && !isBase64(String(data[k])))) values.delete(k);
  checkTls(values, report);
}
