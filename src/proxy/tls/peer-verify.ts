// TLS: checks a peer certificate beyond the chain: SAN matchers plus verify_certificate_hash / _spki pins.
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { CertificateValidationContext } from '../config/types.js';
import { verifyPeerSans } from './san.js';

/** Hex digests may be written with or without colons and in any case (Envoy accepts both). */
function normalizeHex(h: string): string {
  return h.replace(/:/g, '').toLowerCase();
}

function pinError(cert: PeerCertificate, vc: CertificateValidationContext): string | null {
  const hashes = vc.verify_certificate_hash;
  const spkis = vc.verify_certificate_spki;
  if (hashes.length === 0 && spkis.length === 0) return null;
  // Envoy: a match in either list accepts the certificate.
  if (hashes.length > 0) {
    const digest = createHash('sha256').update(cert.raw).digest('hex');
    if (hashes.some((h) => normalizeHex(h) === digest)) return null;
  }
  if (spkis.length > 0) {
    const spki = new X509Certificate(cert.raw).publicKey.export({ type: 'spki', format: 'der' });
    const digest = createHash('sha256').update(spki).digest('base64');
    if (spkis.includes(digest)) return null;
  }
  return 'peer certificate matches none of verify_certificate_hash / verify_certificate_spki';
}

/**
 * Null when `cert` passes the validation context's SAN and pin checks (chain trust is OpenSSL's job).
 * `cert` is what getPeerCertificate() returned; Node returns an empty object when there is none.
 */
export function verifyPeerCertificate(cert: PeerCertificate | undefined, vc: CertificateValidationContext | undefined): string | null {
  if (!vc) return null;
  const present = cert && cert.raw ? cert : undefined;
  const needsCert = vc.match_typed_subject_alt_names.length > 0 || vc.verify_certificate_hash.length > 0 || vc.verify_certificate_spki.length > 0;
  if (!needsCert) return null;
  if (!present) return 'peer presented no certificate';
  return verifyPeerSans(present, vc.match_typed_subject_alt_names) ?? pinError(present, vc);
}
