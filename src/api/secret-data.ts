// API stage: a Secret's contents — base64 data and stringData merged, the TLS credential forms Istio reads (tls.crt/tls.key/ca.crt, cert/key/cacert), stringData folded into data for storage.
import type { Secret } from './types.js';

/** A credential's certificate + key: Istio's generic form first, then kubernetes.io/tls (as Istio looks them up). */
export const CERT_KEY_PAIRS: readonly (readonly [cert: string, key: string])[] = [
  ['cert', 'key'],
  ['tls.crt', 'tls.key'],
];
/** A credential's CA bundle (client verification for MUTUAL): generic first, then kubernetes.io/tls. */
export const CA_KEYS: readonly string[] = ['cacert', 'ca.crt'];
/** Keys Istio reads for revocation lists and OCSP staples, which trellis does not check. */
export const UNSERVED_TLS_KEYS: readonly string[] = ['crl', 'ca.crl', 'tls.ocsp-staple'];
/** Istio's name suffix of a CA-only credential: `kubernetes://<name>-cacert`. */
export const CACERT_SUFFIX = '-cacert';

/** Kubernetes' rule for a Secret's data keys. */
export function secretKeyError(key: string): string | undefined {
  if (key === '' || key === '.' || key === '..') return 'a key must not be empty, "." or ".."';
  if (key.length > 253) return 'a key must be at most 253 characters';
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) return "a key may hold only letters, digits, '-', '_' and '.'";
  return undefined;
}

/** Standard base64 with padding (Go's StdEncoding, as Kubernetes decodes `data`); line breaks are ignored as Go ignores them. */
export function isBase64(v: string): boolean {
  const s = v.replace(/[\r\n]/g, '');
  return s.length % 4 === 0 && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s);
}

/** Where a value came from, for error paths: `data["tls.crt"]` or `stringData["tls.crt"]`. */
export interface SecretValue {
  text: string;
  path: string;
}

const strings = (v: unknown): [string, unknown][] => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.entries(v) : []);

/** Every key's value as text: base64 `data` decoded, `stringData` over it (Kubernetes: stringData wins). Mistyped entries are skipped. */
export function secretValues(s: Pick<Secret, 'data' | 'stringData'>): Map<string, SecretValue> {
  const out = new Map<string, SecretValue>();
  for (const [k, v] of strings(s.data)) if (typeof v === 'string') out.set(k, { text: Buffer.from(v, 'base64').toString('utf8'), path: `data[${JSON.stringify(k)}]` });
  for (const [k, v] of strings(s.stringData)) if (typeof v === 'string') out.set(k, { text: v, path: `stringData[${JSON.stringify(k)}]` });
  return out;
}

export interface TlsCredential {
  /** The certificate chain and its private key, when the secret holds a pair. */
  certificate?: { chain: SecretValue; key: SecretValue; chainKey: string; keyKey: string };
  /** The CA bundle, when the secret holds one. */
  ca?: SecretValue & { key: string };
}

/** The TLS credential a secret's keys form (Istio's rules: generic keys win over kubernetes.io/tls ones). */
export function tlsCredential(values: ReadonlyMap<string, SecretValue>): TlsCredential {
  const out: TlsCredential = {};
  for (const [c, k] of CERT_KEY_PAIRS) {
    const chain = values.get(c);
    const key = values.get(k);
    if (chain !== undefined && key !== undefined) {
      out.certificate = { chain, key, chainKey: c, keyKey: k };
      break;
    }
  }
  for (const k of CA_KEYS) {
    const ca = values.get(k);
    if (ca !== undefined) {
      out.ca = { ...ca, key: k };
      break;
    }
  }
  return out;
}

/** The Secret as stored: stringData folded into data as base64 (write-only, as in Kubernetes), so reads never show it. */
export function normalizeSecret(s: Secret): Secret {
  if (s.stringData === undefined) return s;
  const data: Record<string, string> = { ...(s.data ?? {}) };
  for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  const { stringData: _written, ...rest } = s;
  return { ...rest, data };
}

/** A Secret's own top-level fields (beside apiVersion, kind, metadata): Kubernetes puts them there, not under a spec. */
export const SECRET_FIELDS: readonly string[] = ['type', 'data', 'stringData', 'immutable'];

/** The Secret fields of a parsed document, as written (validateSecret checks them). */
export function secretFields(doc: Record<string, unknown>): Partial<Pick<Secret, 'type' | 'data' | 'stringData' | 'immutable'>> {
  const out: Record<string, unknown> = {};
  for (const f of SECRET_FIELDS) if (doc[f] !== undefined && doc[f] !== null) out[f] = doc[f];
  return out;
}
