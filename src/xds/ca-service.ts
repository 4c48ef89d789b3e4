// xDS wire codec: Istio's certificate service (istio.v1.auth.IstioCertificateService/CreateCertificate) messages, both ends.
//
// IstioCertificateRequest { string csr = 1; int64 validity_duration = 3 (seconds); Struct metadata = 4 (not used) }
// IstioCertificateResponse { repeated string cert_chain = 1 } — the leaf first, then intermediates, then the root(s).
import { WIRE_BYTES, WIRE_VARINT, WireError, WireReader } from './wire/reader.js';
import { WireWriter } from './wire/writer.js';

export const CREATE_CERTIFICATE_PATH = '/istio.v1.auth.IstioCertificateService/CreateCertificate';

export interface CertificateRequest {
  csr: string;
  /** Requested lifetime in seconds; 0 = the CA's default. */
  validityDurationS: number;
}

export interface CertificateResponse {
  certChain: string[];
}

/** A CSR or a chain is a few KiB; anything far larger is not one. */
export const MAX_CA_MESSAGE_BYTES = 64 * 1024;

export function encodeCertificateRequest(r: CertificateRequest): Buffer {
  const w = new WireWriter();
  w.tag(1, WIRE_BYTES);
  w.string(r.csr);
  if (r.validityDurationS > 0) {
    w.tag(3, WIRE_VARINT);
    w.uint64(BigInt(Math.floor(r.validityDurationS)));
  }
  return Buffer.from(w.finish());
}

/** Reads fields 1 and 3, skips the rest (metadata and unknown fields); throws WireError on malformed bytes. */
export function decodeCertificateRequest(buf: Uint8Array): CertificateRequest {
  if (buf.length > MAX_CA_MESSAGE_BYTES) throw new WireError(`request of ${buf.length} bytes exceeds ${MAX_CA_MESSAGE_BYTES}`);
  const r = new WireReader(buf);
  const out: CertificateRequest = { csr: '', validityDurationS: 0 };
  while (r.pos < r.limit) {
    const tag = r.varint32();
    const field = tag >>> 3;
    const type = tag & 7;
    if (field === 1 && type === WIRE_BYTES) out.csr = r.string();
    else if (field === 3 && type === WIRE_VARINT) {
      const v = r.varint64();
      // an int64 read as unsigned: negative (or absurd) values mean "the default"
      out.validityDurationS = typeof v === 'number' && v <= 10 * 365 * 24 * 3600 ? v : 0;
    } else r.skip(type, 0);
  }
  return out;
}

export function encodeCertificateResponse(r: CertificateResponse): Buffer {
  const w = new WireWriter();
  for (const pem of r.certChain) {
    w.tag(1, WIRE_BYTES);
    w.string(pem);
  }
  return Buffer.from(w.finish());
}

export function decodeCertificateResponse(buf: Uint8Array): CertificateResponse {
  if (buf.length > MAX_CA_MESSAGE_BYTES) throw new WireError(`response of ${buf.length} bytes exceeds ${MAX_CA_MESSAGE_BYTES}`);
  const r = new WireReader(buf);
  const certChain: string[] = [];
  while (r.pos < r.limit) {
    const tag = r.varint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_BYTES) certChain.push(r.string());
    else r.skip(tag & 7, 0);
  }
  return { certChain };
}
