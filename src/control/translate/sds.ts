// Translate stage: SDS — the secrets the control plane serves by name: ROOTCA (the mesh roots), and Secret resources `kubernetes://<name>` (certificate + key) and `kubernetes://<name>-cacert` (trusted CA) from the Secrets of the asking proxy's own namespace.
import { CACERT_SUFFIX, secretValues, tlsCredential, type TlsCredential } from '../../api/secret-data.js';
import type { Secret } from '../../api/types.js';
import { SECRET_TYPE } from '../../xds/type-urls.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { anyChanged, type Generator, type Json, type XdsResource } from './generator.js';

/** Istio's prefix for credentials read from Kubernetes Secrets (Gateway and DestinationRule credentialName). */
export const CREDENTIAL_PREFIX = 'kubernetes://';

/** The SDS names a credentialName stands for: its certificate, and the CA that verifies clients (MUTUAL). */
export function credentialSdsName(credentialName: string): string {
  return `${CREDENTIAL_PREFIX}${credentialName}`;
}
export function credentialCaSdsName(credentialName: string): string {
  return `${CREDENTIAL_PREFIX}${credentialName}${CACERT_SUFFIX}`;
}

/** A reference to a secret the proxy takes over its ADS stream (Envoy's SdsSecretConfig). */
export function sdsSecretConfig(name: string): Json {
  return { name, sds_config: { ads: {}, resource_api_version: 'V3' } };
}

/** Istio's name for the workload certificate, which each proxy makes itself (its key never leaves it). */
export const WORKLOAD_CERT_SECRET = 'default';
/** Istio's name for the mesh trust bundle (validation context), served from the CA's roots. */
export const ROOT_CA_SECRET = 'ROOTCA';

function rootCaSecret(snap: Snapshot): XdsResource | undefined {
  if (snap.trustBundlePem === '') return undefined;
  return { name: ROOT_CA_SECRET, resource: { '@type': SECRET_TYPE, name: ROOT_CA_SECRET, validation_context: { trusted_ca: { inline_string: snap.trustBundlePem } } } };
}

// decoded once per stored Secret object (a new revision of a Secret is a new object)
const decoded = new WeakMap<Secret, TlsCredential>();
function credentialOf(s: Secret): TlsCredential {
  let c = decoded.get(s);
  if (c === undefined) decoded.set(s, (c = tlsCredential(secretValues(s))));
  return c;
}

/**
 * Istio's lookup for `<name>-cacert`: a Secret of exactly that name holding a CA, else the CA held by the Secret `<name>`.
 * A Secret found by the exact name but without a CA serves nothing (it is not silently replaced by the other).
 */
function caFor(name: string, namespace: string, snap: Snapshot): string | undefined {
  const exact = snap.index.secretsByName.get(`${namespace}/${name}`);
  if (exact !== undefined) return credentialOf(exact).ca?.text;
  const base = snap.index.secretsByName.get(`${namespace}/${name.slice(0, -CACERT_SUFFIX.length)}`);
  return base === undefined ? undefined : credentialOf(base).ca?.text;
}

/** The Secret resource for one SDS name, or undefined: not a credential name, a proxy that proved no identity, no such Secret in its namespace, or not that kind of material. */
export function credentialSecret(sdsName: string, proxy: ProxyNode, snap: Snapshot): XdsResource | undefined {
  if (!sdsName.startsWith(CREDENTIAL_PREFIX)) return undefined;
  // as Istio: credentials only to a proxy that proved its identity (on the plaintext port anyone can claim a namespace),
  // and only the Secrets of its own namespace
  if (proxy.verified !== true) return undefined;
  const name = sdsName.slice(CREDENTIAL_PREFIX.length);
  const namespace = proxy.namespace;
  let body: Json | undefined;
  if (name.endsWith(CACERT_SUFFIX)) {
    const ca = caFor(name, namespace, snap);
    if (ca !== undefined) body = { validation_context: { trusted_ca: { inline_string: ca } } };
  } else {
    const s = snap.index.secretsByName.get(`${namespace}/${name}`);
    const cert = s === undefined ? undefined : credentialOf(s).certificate;
    if (cert !== undefined) body = { tls_certificate: { certificate_chain: { inline_string: cert.chain.text }, private_key: { inline_string: cert.key.text } } };
  }
  return body === undefined ? undefined : { name: sdsName, resource: { '@type': SECRET_TYPE, name: sdsName, ...body } };
}

/** SDS is never a wildcard: a proxy gets only the names it asks for (as Envoy always asks), nothing for an empty subscription. */
export const sdsGenerator: Generator = {
  typeUrl: SECRET_TYPE,
  needsPush: (changed) => anyChanged(changed, ['trustBundle', 'Secret']),
  build(proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[] {
    if (names === undefined || names.length === 0) return [];
    const out: XdsResource[] = [];
    for (const n of [...new Set(names)].sort()) {
      const r = n === ROOT_CA_SECRET ? rootCaSecret(snap) : credentialSecret(n, proxy, snap);
      if (r !== undefined) out.push(r);
    }
    return out;
  },
};
