// API stage: TypeScript shapes of Istio's security.istio.io kinds Trellis serves (AuthorizationPolicy, RequestAuthentication), field names as in Istio YAML.
import type { Resource } from './types.js';


/** istio.type.v1beta1.WorkloadSelector (security kinds say matchLabels, networking kinds say labels). */
export interface SecurityWorkloadSelector {
  matchLabels?: Record<string, string>;
}

/** istio.type.v1beta1.PolicyTargetReference (Gateway API attachment). */
export interface PolicyTargetReference {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** Every string supports exact, `prefix*`, `*suffix` and `*` (presence); ports and IP blocks have their own syntax. */
export interface AuthzSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  trustDomains?: string[];
  notTrustDomains?: string[];
}

export interface AuthzOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthzCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

/** Matches when one `from`, one `to` and every `when` match; an empty rule always matches. */
export interface AuthzRule {
  from?: { source?: AuthzSource }[];
  to?: { operation?: AuthzOperation }[];
  when?: AuthzCondition[];
}

export type AuthzAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface AuthorizationPolicySpec {
  selector?: SecurityWorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  /** Absent or empty: never matches (so an ALLOW policy without rules denies everything it selects). */
  rules?: AuthzRule[];
  /** Default ALLOW. */
  action?: AuthzAction;
  /** CUSTOM only: an extension provider of the mesh config. */
  provider?: { name: string };
}

export type AuthorizationPolicy = Resource<'AuthorizationPolicy', AuthorizationPolicySpec>;

export interface JWTHeader {
  name: string;
  prefix?: string;
}

export interface ClaimToHeader {
  header: string;
  claim: string;
}

export interface JWTRule {
  issuer?: string;
  audiences?: string[];
  jwksUri?: string;
  /** The CRD's alternative name of jwksUri. */
  jwks_uri?: string;
  /** Inline JSON Web Key Set (exclusive with jwksUri). */
  jwks?: string;
  fromHeaders?: JWTHeader[];
  fromParams?: string[];
  fromCookies?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: ClaimToHeader[];
  /** How long the control plane waits for the JWKS (default 5s). */
  timeout?: string;
  spaceDelimitedClaims?: string[];
}

export interface RequestAuthenticationSpec {
  selector?: SecurityWorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  jwtRules?: JWTRule[];
}

export type RequestAuthentication = Resource<'RequestAuthentication', RequestAuthenticationSpec>;
