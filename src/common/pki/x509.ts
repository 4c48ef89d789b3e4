// PKI: @peculiar/x509 on Node's WebCrypto, loaded on first use (the mesh CA; a proxy never loads it).
import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';

export type X509 = typeof import('@peculiar/x509');

/** ECDSA P-256 with SHA-256: every key and signature of the mesh CA and its SVIDs. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

let lib: X509 | undefined;

export function x509(): X509 {
  if (lib === undefined) {
    const require = createRequire(import.meta.url);
    require('reflect-metadata'); // the decorators @peculiar/x509 uses need it before the library loads
    lib = require('@peculiar/x509') as X509;
    lib.cryptoProvider.set(webcrypto as unknown as Crypto);
  }
  return lib;
}

export const subtle = webcrypto.subtle;

/** A PKCS#8 PEM private key as a signing key. */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = x509().PemConverter.decodeFirst(pem);
  return (await subtle.importKey('pkcs8', der, EC_P256, true, ['sign'])) as unknown as CryptoKey;
}

export async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509().PemConverter.encode(der, 'PRIVATE KEY');
}
