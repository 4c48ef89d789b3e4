// Translate stage: mesh identities — SPIFFE ids, the workload certificate and mesh roots over SDS, and SAN matchers.
import { isIP } from 'node:net';
import type { Json } from './generator.js';

/** The mesh roots workload certificates chain to (served over SDS, see sds.ts). */
export { ROOT_CA_SECRET } from './sds.js';

/** The workload's own certificate chain and key (made by the proxy's certificate agent). */
export const WORKLOAD_CERT_SECRET = 'default';

/** An SDS reference taken over the ADS stream. */
export function sdsSecret(name: string): Json {
  return { name, sds_config: { ads: {}, resource_api_version: 'V3' } };
}

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
