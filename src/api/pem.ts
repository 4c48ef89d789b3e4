// API stage: PEM checks for TLS secrets — certificate chains and private keys parse, and the key belongs to the leaf; reasons never quote the material.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

interface PemBlock {
  label: string;
  /** The whole block, BEGIN and END lines included (what node:crypto parses). */
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----[\s\S]*?-----END \1-----/g;
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/** The PEM blocks of `text`, in order (text between blocks is ignored, as OpenSSL ignores it). */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One or more CERTIFICATE blocks, each a valid X.509 certificate. */
export function parseCertificates(text: string): Parsed<X509Certificate[]> {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return { ok: false, reason: 'holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----" blocks)' };
  const certs: X509Certificate[] = [];
  for (const [i, b] of blocks.entries()) {
    if (b.label !== 'CERTIFICATE') return { ok: false, reason: `PEM block ${i + 1} is a "${b.label}", not a CERTIFICATE` };
    try {
      certs.push(new X509Certificate(b.text));
    } catch {
      return { ok: false, reason: `certificate ${i + 1} is not a valid X.509 certificate` };
    }
  }
  return { ok: true, value: certs };
}

/** Exactly one unencrypted private key (PKCS#8, PKCS#1 RSA or SEC1 EC). */
export function parsePrivateKey(text: string): Parsed<KeyObject> {
  const blocks = pemBlocks(text);
  const keys = blocks.filter((b) => KEY_LABELS.has(b.label) || b.label === 'ENCRYPTED PRIVATE KEY');
  if (keys.length === 0) return { ok: false, reason: 'holds no PEM private key (expected a "-----BEGIN PRIVATE KEY-----" block)' };
  if (keys.length > 1) return { ok: false, reason: `holds ${keys.length} private keys; give exactly one` };
  const block = keys[0]!;
  // a passphrase has nowhere to come from: the proxy loads the key unattended
  if (block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text)) return { ok: false, reason: 'the private key is encrypted; give it unencrypted (there is no passphrase to unlock it)' };
  try {
    return { ok: true, value: createPrivateKey({ key: block.text, format: 'pem' }) };
  } catch {
    return { ok: false, reason: 'the private key does not parse' };
  }
}

/**
 * Why `key` cannot serve `chain` (the leaf is the first certificate, as TLS sends it), or undefined when it can.
 * Compares public keys only; nothing of either is quoted.
 */
export function keyMismatch(key: KeyObject, chain: readonly X509Certificate[]): string | undefined {
  const fits = (c: X509Certificate): boolean => {
    try {
      return c.checkPrivateKey(key);
    } catch {
      return false; // a key of another algorithm
    }
  };
  if (fits(chain[0]!)) return undefined;
  const other = chain.findIndex(fits);
  return other > 0
    ? `the private key belongs to certificate ${other + 1} of the chain; the leaf it belongs to must come first`
    : "the private key does not match the certificate's public key";
}
