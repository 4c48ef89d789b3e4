// Translate stage: mesh identities — SPIFFE ids, the workload certificate and mesh roots over SDS, and SAN matchers.
import { isIP } from 'node:net';
import type { Json } from './generator.js';

/** The mesh roots, the workload certificate (made by each proxy), and an SDS reference over ADS — see sds.ts. */
export { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, sdsSecretConfig as sdsSecret } from './sds.js';

/** `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * Exact SAN matchers for names a server may present: a SPIFFE id is a URI SAN, an address an IP SAN, anything else
 * a DNS or URI SAN (as gateway subjectAltNames are matched).
 */
export function sanMatchers(names: readonly string[]): Json[] {
  return names.flatMap((n): Json[] => {
    if (n.startsWith('spiffe://')) return [{ san_type: 'URI', matcher: { exact: n } }];
    if (isIP(n) !== 0) return [{ san_type: 'IP_ADDRESS', matcher: { exact: n } }];
    return ['DNS', 'URI'].map((t) => ({ san_type: t, matcher: { exact: n } }));
  });
}
