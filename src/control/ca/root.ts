// Certificate authority: the mesh's self-signed root (ECDSA P-256, ten years), generated when no organisation root is given.
import { randomBytes } from 'node:crypto';
import { EC_P256, exportKeyPem, subtle, x509 } from '../../common/pki/x509.js';
import type { CaMaterial } from './material.js';

const ROOT_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;

/** A positive 128-bit serial (RFC 5280: at most 20 octets, non-negative). */
export function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

export async function generateRoot(trustDomain: string, now = Date.now()): Promise<CaMaterial> {
  const lib = x509();
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `O=${trustDomain}, CN=Trellis mesh root CA`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + ROOT_LIFETIME_MS),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new lib.BasicConstraintsExtension(true, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString('pem');
  return { certPem: pem, keyPem: await exportKeyPem(keys.privateKey), chainPem: [], rootsPem: [pem] };
}
