// API stage: the structural schemas of AuthorizationPolicy and RequestAuthentication, field names as in Istio's security.istio.io protos.
import { arr, bool, obj, oneOfValues, str, strMap, type ObjectSchema } from './schema.js';

const strings = arr(str());
const selector = obj('WorkloadSelector', { matchLabels: strMap });
const targetRef = obj('PolicyTargetReference', { group: str(), kind: str(true), name: str(true), namespace: str() }, { required: ['kind', 'name'] });

const source = obj('Source', {
  principals: strings,
  notPrincipals: strings,
  requestPrincipals: strings,
  notRequestPrincipals: strings,
  namespaces: strings,
  notNamespaces: strings,
  serviceAccounts: strings,
  notServiceAccounts: strings,
  ipBlocks: strings,
  notIpBlocks: strings,
  remoteIpBlocks: strings,
  notRemoteIpBlocks: strings,
  trustDomains: strings,
  notTrustDomains: strings,
});

const operation = obj('Operation', {
  hosts: strings,
  notHosts: strings,
  ports: strings,
  notPorts: strings,
  methods: strings,
  notMethods: strings,
  paths: strings,
  notPaths: strings,
});

const condition = obj('Condition', { key: str(), values: strings, notValues: strings });

const rule = obj('Rule', {
  from: arr(obj('Rule.From', { source })),
  to: arr(obj('Rule.To', { operation })),
  when: arr(condition),
});

export const authorizationPolicySpec: ObjectSchema = obj('AuthorizationPolicy', {
  selector,
  targetRef,
  targetRefs: arr(targetRef),
  rules: arr(rule),
  action: oneOfValues('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
  provider: obj('ExtensionProvider', { name: str() }),
});

const jwtRule = obj('JWTRule', {
  issuer: str(),
  audiences: strings,
  jwksUri: str(),
  jwks_uri: str(),
  jwks: str(),
  fromHeaders: arr(obj('JWTHeader', { name: str(), prefix: str() })),
  fromParams: strings,
  fromCookies: strings,
  outputPayloadToHeader: str(),
  forwardOriginalToken: bool,
  outputClaimToHeaders: arr(obj('ClaimToHeader', { header: str(), claim: str() })),
  timeout: str(),
  spaceDelimitedClaims: strings,
});

export const requestAuthenticationSpec: ObjectSchema = obj('RequestAuthentication', {
  selector,
  targetRef,
  targetRefs: arr(targetRef),
  jwtRules: arr(jwtRule),
});
