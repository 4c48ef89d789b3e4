// Certificate authority: the signing material — generated, kept in the store, or read from files in Istio's cacerts layout.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What the CA signs with and what the mesh trusts (PEM throughout). */
export interface CaMaterial {
  /** The signing certificate: the root itself, or an organisation's intermediate. */
  certPem: string;
  /** Its PKCS#8 private key. */
  keyPem: string;
  /** Certificates between the signing certificate and the root, issuer order (empty when it is the root). */
  chainPem: string[];
  /** Every trusted root (several during a root rotation). */
  rootsPem: string[];
}

/** Istio's cacerts files: ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem. */
export interface CaFiles {
  caCert: string;
  caKey: string;
  rootCert: string;
  /** ca-cert.pem followed by the intermediates up to (and possibly including) the root. */
  certChain?: string;
}

/** The PEM blocks of a file, in order. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Reads and checks cacerts files: the key must be the certificate's, the certificate a CA, and it must chain to the root. */
export function readCaFiles(f: CaFiles): CaMaterial {
  const read = (p: string, what: string): string => {
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  const certPem = pemBlocks(read(f.caCert, '--ca-cert'))[0];
  const keyPem = read(f.caKey, '--ca-key');
  const rootsPem = pemBlocks(read(f.rootCert, '--root-cert'));
  if (certPem === undefined) throw new Error(`--ca-cert ${f.caCert} holds no PEM certificate`);
  if (rootsPem.length === 0) throw new Error(`--root-cert ${f.rootCert} holds no PEM certificate`);
  const cert = new X509Certificate(certPem);
  if (!cert.ca) throw new Error(`--ca-cert ${f.caCert} is not a CA certificate (basicConstraints CA:TRUE)`);
  if (!cert.checkPrivateKey(createPrivateKeyOrThrow(keyPem, f.caKey))) throw new Error(`--ca-key ${f.caKey} is not the key of --ca-cert ${f.caCert}`);
  const rootPems = new Set(rootsPem.map((p) => new X509Certificate(p).fingerprint256));
  // cert-chain.pem starts with ca-cert.pem; what follows up to a root are the intermediates
  const chainPem = (f.certChain !== undefined ? pemBlocks(read(f.certChain, '--cert-chain')) : [])
    .filter((p) => new X509Certificate(p).fingerprint256 !== cert.fingerprint256 && !rootPems.has(new X509Certificate(p).fingerprint256));
  verifyChain(cert, chainPem.map((p) => new X509Certificate(p)), rootsPem.map((p) => new X509Certificate(p)));
  return { certPem, keyPem, chainPem, rootsPem };
}

function createPrivateKeyOrThrow(pem: string, path: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new Error(`--ca-key ${path} is not a PEM private key: ${(e as Error).message}`);
  }
}

/** Each certificate must be issued (and signed) by the next, the last one by a root. */
function verifyChain(cert: X509Certificate, chain: X509Certificate[], roots: X509Certificate[]): void {
  const path = [cert, ...chain];
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const issuers = i + 1 < path.length ? [path[i + 1]!] : roots;
    if (!issuers.some((iss) => c.checkIssued(iss) && c.verify(iss.publicKey))) {
      throw new Error(`the CA certificate chain does not reach --root-cert: ${c.subject.replace(/\n/g, ', ')} is not signed by ${i + 1 < path.length ? 'the next certificate of --cert-chain' : 'a root'}`);
    }
  }
}
