// PKI: a key pair and a PKCS#10 CSR for a SPIFFE id — made where the key stays (a proxy), sent to the mesh CA.
//
// Written with node:crypto and a few DER bytes rather than @peculiar/x509: a CSR is one fixed shape (RFC 2986), and
// the library costs every sidecar ~13 MB RSS for a request it makes twice a day. The CA parses CSRs with the library.
import { generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export interface KeyAndCsr {
  /** PKCS#8 PEM: never leaves the process that made it. */
  keyPem: string;
  csrPem: string;
}

/** One DER TLV. */
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const SEQUENCE = 0x30;
const SET = 0x31;
const ECDSA_WITH_SHA256 = Buffer.from('06082a8648ce3d040302', 'hex'); // 1.2.840.10045.4.3.2
const EXTENSION_REQUEST = Buffer.from('06092a864886f70d01090e', 'hex'); // 1.2.840.113549.1.9.14
const SUBJECT_ALT_NAME = Buffer.from('0603551d11', 'hex'); // 2.5.29.17

/** attributes [0]: an extensionRequest with a subjectAltName holding one URI, or nothing. */
function attributes(uri: string | undefined): Buffer {
  if (uri === undefined) return der(0xa0);
  const generalNames = der(SEQUENCE, der(0x86, Buffer.from(uri, 'ascii'))); // [6] uniformResourceIdentifier
  const extension = der(SEQUENCE, SUBJECT_ALT_NAME, der(0x04, generalNames));
  return der(0xa0, der(SEQUENCE, EXTENSION_REQUEST, der(SET, der(SEQUENCE, extension))));
}

/** An ECDSA P-256 key and a CSR signed with it (empty subject; `spiffeId` in the SAN when given — the CA ignores it either way). */
export async function createCsr(spiffeId?: string): Promise<KeyAndCsr> {
  const { publicKey, privateKey } = (await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' })) as { publicKey: KeyObject; privateKey: KeyObject };
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const info = der(SEQUENCE, Buffer.from([0x02, 0x01, 0x00]), der(SEQUENCE), spki, attributes(spiffeId));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const csr = der(SEQUENCE, info, der(SEQUENCE, ECDSA_WITH_SHA256), der(0x03, Buffer.from([0]), signature));
  const b64 = csr.toString('base64').replace(/.{1,64}/g, '$&\n');
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${b64}-----END CERTIFICATE REQUEST-----\n` };
}
