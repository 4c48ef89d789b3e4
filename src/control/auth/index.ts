// Control-plane auth: the public surface — admin credential, write guard, identity tokens.
export { ensureAdminToken, newAdminToken, ADMIN_TOKEN_FILE, type AdminToken } from './admin-token.js';
export { requireAdmin, bearerToken, constantTimeEqual, ADMIN_IDENTITY, Unauthorized, type AdminCredential, type AdminTokenSet, type Identity } from './credential.js';
export { checkWriteRequest, isWriteMethod, mediaType } from './write-guard.js';
export {
  IdentityTokenIssuer,
  loadIdentityTokenIssuer,
  verifyIdentityToken,
  spiffeId,
  parseSpiffeId,
  validTrustDomain,
  DEFAULT_TRUST_DOMAIN,
  DEFAULT_TOKEN_TTL_S,
  TOKEN_ISSUER,
  type TokenVerifier,
  type VerifyResult,
  type WorkloadIdentity,
} from './identity-token.js';
