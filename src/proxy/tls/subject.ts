// TLS: a peer certificate's subject as Envoy prints it (RFC 2253 style) — and an empty one as '', since mesh SVIDs have no subject at all.
import type { X509Certificate } from 'node:crypto';

/** Most significant RDN last, comma separated; '' for a certificate whose subject is empty (node reports it as undefined). */
export function peerSubjectOf(x509: X509Certificate | undefined): string | undefined {
  if (x509 === undefined) return undefined;
  const subject = x509.subject as string | undefined;
  return subject === undefined || subject === '' ? '' : subject.split('\n').reverse().join(',');
}
