// API stage: Istio fields Trellis accepts as valid Istio but cannot honour yet — rejected by name at apply, never ignored.
import { apiError, splitFieldPath, type ApiError } from './errors.js';
import { resourceRef, type MeshResource } from './types.js';
import { unsupportedSecurityFields } from './unsupported-security.js';
import { type Add, unsupportedGatewayFields, unsupportedL4Matches, unsupportedSidecarFields } from './unsupported-l4.js';
import { unsupportedSecretFields } from './unsupported-secret.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const set = (v: unknown): boolean => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);


/** VirtualService http entries (delegates too): retry steering and redirect ports the route translation has no field for. */
function unsupportedHttpRoutes(spec: Obj, add: Add): void {
  list(spec.http).forEach((h, i) => {
    const p = `spec.http[${i}]`;
    // false is Istio's default; true would need Envoy's previous_priorities retry plugin
    if (obj(obj(h).retries).retryRemoteLocalities === true) {
      add(`${p}.retries.retryRemoteLocalities`, 'retries are not moved to other localities; only other hosts are tried');
    }
    // FROM_PROTOCOL_DEFAULT is what a redirect without a port already does (Istio emits no port for it either)
    if (obj(obj(h).redirect).derivePort === 'FROM_REQUEST_PORT') add(`${p}.redirect.derivePort`, 'FROM_REQUEST_PORT is not translated; set redirect.port');
  });
}

/** One TrafficPolicy or portLevelSettings entry: what would change TLS, host choice, ejection or connection lifetime. */
function unsupportedPolicy(path: string, p: Obj, add: Add): void {
  // a revocation list not checked would accept a revoked server: refused rather than dropped
  if (set(obj(p.tls).caCrl)) add(`${path}.tls.caCrl`, 'certificate revocation lists are not checked');
  const lb = obj(p.loadBalancer);
  if (lb.simple === 'PASSTHROUGH') add(`${path}.loadBalancer.simple`, 'PASSTHROUGH forwards to the original destination, which needs iptables; pick a load balancer');
  if (set(lb.warmupDurationSecs)) add(`${path}.loadBalancer.warmupDurationSecs`, 'slow start is not translated; new endpoints get their full share at once');
  if (set(obj(obj(lb.consistentHash).httpCookie).attributes)) {
    add(`${path}.loadBalancer.consistentHash.httpCookie.attributes`, 'a generated cookie carries only name, path and ttl: no Secure, HttpOnly, SameSite');
  }
  if (set(obj(lb.localityLbSetting).failoverPriority)) {
    add(`${path}.loadBalancer.localityLbSetting.failoverPriority`, 'label-ordered priorities are not translated; use failover or distribute');
  }
  if (set(obj(obj(p.connectionPool).tcp).idleTimeout)) add(`${path}.connectionPool.tcp.idleTimeout`, 'TCP proxy idle timeouts are not translated');
  // deprecated and hidden in Istio's API; its documented meaning is the gateway-error count
  if (set(obj(p.outlierDetection).consecutiveErrors)) {
    add(`${path}.outlierDetection.consecutiveErrors`, 'deprecated; set consecutiveGatewayErrors or consecutive5xxErrors');
  }
}

/** Every field of `r` that the translation to xDS would otherwise drop, each with its path and the reason. */
export function unsupportedFields(r: MeshResource): ApiError[] {
  const out: ApiError[] = [];
  const ref = resourceRef(r);
  const add: Add = (path, why) => {
    const name = splitFieldPath(path).filter((k) => typeof k === 'string').pop();
    out.push(apiError(ref, path, `${String(name)} is not supported by trellis yet (${why})`));
  };
  if (r.kind === 'Secret') {
    unsupportedSecretFields(r, add);
    return out;
  }
  const spec: unknown = r.spec;
  if (!isObj(spec)) return out;
  switch (r.kind) {
    case 'VirtualService':
      unsupportedL4Matches(spec, add);
      unsupportedHttpRoutes(spec, add);
      break;
    case 'Gateway':
      unsupportedGatewayFields(spec, add);
      break;
    case 'Sidecar':
      unsupportedSidecarFields(spec, add);
      break;
    case 'DestinationRule': {
      const policies: [string, unknown][] = [['spec.trafficPolicy', spec.trafficPolicy]];
      list(spec.subsets).forEach((s, i) => {
        if (isObj(s)) policies.push([`spec.subsets[${i}].trafficPolicy`, s.trafficPolicy]);
      });
      for (const [path, p] of policies) {
        if (!isObj(p)) continue;
        unsupportedPolicy(path, p, add);
        list(p.portLevelSettings).forEach((pl, i) => {
          if (isObj(pl)) unsupportedPolicy(`${path}.portLevelSettings[${i}]`, pl, add);
        });
      }
      break;
    }
    case 'ServiceEntry':
      // sidecars have no traffic capture: apps name services by host (Host header, egress listener), never by a VIP
      if (set(spec.addresses)) add('spec.addresses', 'traffic is matched by host name and port; VIPs and CIDRs are not translated');
      break;
    case 'Service':
      // Istio keeps only the endpoints on the client's node; Trellis workloads carry no node
      if (spec.internalTrafficPolicy === 'Local') add('spec.internalTrafficPolicy', 'node-local endpoints need node names, which trellis workloads lack');
      if (set(spec.trafficDistribution)) add('spec.trafficDistribution', 'topology preference is not translated; use a DestinationRule localityLbSetting');
      break;
    case 'AuthorizationPolicy':
    case 'RequestAuthentication':
    case 'Telemetry':
      unsupportedSecurityFields(spec, add);
      break;
    default:
      break;
  }
  return out;
}
