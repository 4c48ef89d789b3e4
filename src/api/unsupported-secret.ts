// API stage: valid Kubernetes Secrets that trellis cannot serve — types other than TLS credentials, keys it would not read, immutability it does not enforce.
import { CA_KEYS, CERT_KEY_PAIRS, UNSERVED_TLS_KEYS } from './secret-data.js';
import { SECRET_TYPES, type Secret } from './types.js';
import type { Add } from './unsupported-l4.js';

const TLS_FORMS = 'tls.crt + tls.key (+ ca.crt), cert + key (+ cacert), or ca.crt / cacert alone for a CA';

/** Names of keys only, never values: the reasons are shown to anyone who can apply. */
export function unsupportedSecretFields(s: Secret, add: Add): void {
  const type = s.type ?? 'Opaque';
  if (!(SECRET_TYPES as readonly string[]).includes(type)) {
    add('type', `${JSON.stringify(type)} secrets are not served; trellis serves TLS credentials only (type kubernetes.io/tls, or Opaque holding ${TLS_FORMS})`);
    return;
  }
  if (s.immutable === true) add('immutable', 'updates of an immutable secret are not refused; leave immutable unset');
  const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
  const tlsKeys = [...CERT_KEY_PAIRS.flat(), ...CA_KEYS];
  if (!tlsKeys.some((k) => keys.has(k))) {
    add('data', `an ${type} secret is served only as a TLS credential: it holds ${keys.size === 0 ? 'no keys' : [...keys].sort().join(', ')}; expected ${TLS_FORMS}`);
  }
  for (const k of UNSERVED_TLS_KEYS) {
    if (!keys.has(k)) continue;
    const field = s.stringData?.[k] !== undefined ? 'stringData' : 'data';
    add(`${field}[${JSON.stringify(k)}]`, k === 'tls.ocsp-staple' ? 'OCSP staples are not sent' : 'certificate revocation lists are not checked');
  }
}
