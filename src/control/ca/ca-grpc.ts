// Certificate authority: Istio's CreateCertificate RPC on the authenticated port — signs a proxy's CSR for the identity it proved.
import * as grpc from '@grpc/grpc-js';
import { CREATE_CERTIFICATE_PATH, decodeCertificateRequest, encodeCertificateRequest, decodeCertificateResponse, encodeCertificateResponse, type CertificateRequest, type CertificateResponse } from '../../xds/ca-service.js';
import type { StreamAuthenticator } from '../xds/stream-auth.js';
import { CsrError, DEFAULT_SVID_TTL_MS, type CertificateAuthority } from './authority.js';
import { pemBlocks } from './material.js';

/** Istio's MAX_WORKLOAD_CERT_TTL default: a proxy may ask for a shorter lifetime, never a longer one than this. */
const MAX_SVID_TTL_MS = 90 * 24 * 3600 * 1000;

const SERVICE: grpc.ServiceDefinition = {
  CreateCertificate: {
    path: CREATE_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: CertificateRequest) => encodeCertificateRequest(r),
    requestDeserialize: (b: Buffer) => decodeCertificateRequest(b),
    responseSerialize: (r: CertificateResponse) => encodeCertificateResponse(r),
    responseDeserialize: (b: Buffer) => decodeCertificateResponse(b),
  },
};

/** The lifetime to issue: the CA's default when none is asked, capped at MAX_SVID_TTL_MS. */
function svidTtlMs(requestedS: number, defaultMs = DEFAULT_SVID_TTL_MS): number {
  return requestedS > 0 ? Math.min(requestedS * 1000, MAX_SVID_TTL_MS) : defaultMs;
}

export function addCertificateService(server: grpc.Server, ca: CertificateAuthority, auth: StreamAuthenticator, log: (msg: string) => void, defaultTtlMs = DEFAULT_SVID_TTL_MS): void {
  server.addService(SERVICE, {
    CreateCertificate: (call: grpc.ServerUnaryCall<CertificateRequest, CertificateResponse>, done: grpc.sendUnaryData<CertificateResponse>) => {
      void (async () => {
        const who = await auth.authenticate(call);
        if (!who.ok) {
          log(`ca: refused a CSR from ${call.getPeer()}: UNAUTHENTICATED: ${who.reason}`);
          return done({ code: grpc.status.UNAUTHENTICATED, details: who.reason });
        }
        try {
          const issued = await ca.sign(call.request.csr, who.identity, svidTtlMs(call.request.validityDurationS, defaultTtlMs));
          // Istio's order: the leaf, its intermediates, then the roots the mesh trusts
          done(null, { certChain: [...pemBlocks(issued.certChainPem), ...pemBlocks(issued.rootsPem)] });
        } catch (e) {
          const code = e instanceof CsrError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
          done({ code, details: e instanceof Error ? e.message : String(e) });
        }
      })();
    },
  });
}
