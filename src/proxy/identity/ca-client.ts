// Workload identity: asks the mesh CA (CreateCertificate on the control plane's TLS port) to sign a CSR, proving who we are.
import { CREATE_CERTIFICATE_PATH, decodeCertificateResponse, encodeCertificateRequest, type CertificateRequest, type CertificateResponse } from '../../xds/ca-service.js';
import { connectH2, unaryCall, type GrpcMethod } from '../xds/grpc-call.js';
import { connectParams, noteRefusal, type XdsCredentials } from '../xds/xds-credentials.js';

const CREATE_CERTIFICATE: GrpcMethod<CertificateRequest, CertificateResponse> = {
  path: CREATE_CERTIFICATE_PATH,
  serialize: encodeCertificateRequest,
  deserialize: decodeCertificateResponse,
};

/**
 * The chain the CA answers (leaf, intermediates, roots), from `target` over a fresh TLS session closed afterwards;
 * `name` is the host name `target`'s address was resolved from, which the control plane's certificate must name.
 */
export async function requestCertificate(target: string, creds: XdsCredentials, csrPem: string, ttlS: number, opts: { name?: string; connectTimeoutMs?: number } = {}): Promise<string[]> {
  const { tls, metadata } = connectParams(creds, opts.name);
  const session = await connectH2(target, { connectTimeoutMs: opts.connectTimeoutMs ?? 5000, ...(tls !== undefined ? { tls } : {}) });
  try {
    const res = await unaryCall(session, CREATE_CERTIFICATE, { csr: csrPem, validityDurationS: ttlS }, metadata);
    return res.certChain;
  } catch (e) {
    noteRefusal(creds, tls?.cert !== undefined, e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    session.close();
  }
}
