// PKI: a key pair and a PKCS#10 CSR for a SPIFFE id — made where the key stays (a proxy), sent to the mesh CA.
import { EC_P256, exportKeyPem, subtle, x509 } from './x509.js';

export interface KeyAndCsr {
  /** PKCS#8 PEM: never leaves the process that made it. */
  keyPem: string;
  csrPem: string;
}

/** `spiffeId` goes into the CSR's SAN when given; the mesh CA ignores it either way (it names the identity the caller proved). */
export async function createCsr(spiffeId?: string): Promise<KeyAndCsr> {
  const lib = x509();
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const csr = await lib.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: EC_P256,
    extensions: spiffeId !== undefined ? [new lib.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])] : [],
  });
  return { keyPem: await exportKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}
