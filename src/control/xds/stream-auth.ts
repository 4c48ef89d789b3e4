// Serving: who is calling on the authenticated xDS/CA port — a workload certificate from the mesh CA, else a bootstrap token.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { parseSpiffeId, verifyIdentityToken, type TokenVerifier, type WorkloadIdentity } from '../auth/identity-token.js';
import { proxyNodeFromNode } from '../model/proxy-node.js';

export type AuthResult = { ok: true; identity: WorkloadIdentity; via: 'certificate' | 'token' } | { ok: false; reason: string };

export interface StreamAuthenticator {
  authenticate(call: Pick<ServerDuplexStream<unknown, unknown>, 'getAuthContext' | 'metadata'>): Promise<AuthResult>;
}

/**
 * A client certificate counts only when the TLS layer verified it against the mesh roots (grpc-js reports a peer
 * certificate only for an authorized socket); its SPIFFE URI SAN names the workload. Without one, an
 * `authorization: Bearer <token>` header must carry a token this control plane signed.
 */
export function streamAuthenticator(tokens: TokenVerifier): StreamAuthenticator {
  return {
    async authenticate(call) {
      const cert = call.getAuthContext().sslPeerCertificate;
      if (cert !== undefined) {
        const uris = (cert.subjectaltname ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
        const ids = uris.map((u) => parseSpiffeId(tokens.trustDomain, u)).filter((x): x is WorkloadIdentity => x !== undefined);
        if (ids.length !== 1) return { ok: false, reason: `client certificate names no single workload of trust domain ${tokens.trustDomain} (SANs: ${uris.join(', ') || 'none'})` };
        return { ok: true, identity: ids[0]!, via: 'certificate' };
      }
      const header = call.metadata.get('authorization')[0];
      const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (m === null) return { ok: false, reason: 'no client certificate from the mesh CA and no bearer token' };
      const r = await verifyIdentityToken(m[1]!, tokens);
      return r.ok ? { ok: true, identity: r.value, via: 'token' } : { ok: false, reason: `token refused: ${r.error}` };
    },
  };
}

/** The namespace and service account a node says it runs as (Istio's defaults when absent). */
export function claimedIdentity(node: { id: string; metadata: Record<string, unknown> }): WorkloadIdentity {
  const n = proxyNodeFromNode({ id: node.id, metadata: node.metadata });
  return { namespace: n.namespace, serviceAccount: n.serviceAccount === '' ? 'default' : n.serviceAccount };
}
