// API stage: the L4/TLS parts of valid Istio that Trellis cannot honour yet (subnet matches, TLS settings SDS cannot carry, raw-socket binds, some protocols).

import { shown } from './rules.js';
type Obj = Record<string, unknown>;
/** Reports `path` as not supported, with the reason. */
export type Add = (path: string, why: string) => void;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const set = (v: unknown): boolean => v !== undefined && !(Array.isArray(v) && v.length === 0);

const NO_SUBNETS = 'connection-time subnet matching is not translated; match on port, sourceLabels or gateways';
/** Protocols whose listeners Trellis has no filter for (UDP sockets, Thrift, an HTTP forward proxy). */
const UNSERVED_PROTOCOLS = new Set(['UDP', 'THRIFT', 'HTTP_PROXY']);
/** Client-certificate checks beside a CA that arrives over SDS would need Envoy's combined_validation_context. */
const SDS_CLIENT_CHECKS = ['subjectAltNames', 'verifyCertificateSpki', 'verifyCertificateHash'];

/** VirtualService tcp/tls match blocks: subnets would need filter chains per rule whose order Envoy does not keep. */
export function unsupportedL4Matches(spec: Obj, add: Add): void {
  for (const kind of ['tcp', 'tls'] as const) {
    list(spec[kind]).forEach((r, i) => {
      if (!isObj(r)) return;
      list(r.match).forEach((m, j) => {
        if (!isObj(m)) return;
        for (const f of ['destinationSubnets', 'sourceSubnet']) if (set(m[f])) add(`spec.${kind}[${i}].match[${j}].${f}`, NO_SUBNETS);
      });
    });
  }
}

/** Gateway servers: TLS modes and certificate sources that need the mesh CA or a secret store, CRLs, unserved protocols. */
export function unsupportedGatewayFields(spec: Obj, add: Add): void {
  // one listener per port: servers sharing a port must share its bind address
  const bindOfPort = new Map<unknown, unknown>();
  list(spec.servers).forEach((s, i) => {
    if (!isObj(s)) return;
    const p = `spec.servers[${i}]`;
    const port = isObj(s.port) ? s.port.number : undefined;
    const bind = s.bind ?? '0.0.0.0';
    if (!bindOfPort.has(port)) bindOfPort.set(port, bind);
    else if (bindOfPort.get(port) !== bind) add(`${p}.bind`, `servers on port ${String(port)} share one listener, bound to ${String(bindOfPort.get(port))} by an earlier server`);
    const protocol = isObj(s.port) && typeof s.port.protocol === 'string' ? s.port.protocol.toUpperCase() : '';
    if (UNSERVED_PROTOCOLS.has(protocol)) add(`${p}.port.protocol`, `${protocol} servers have no listener filter in trellis`);
    const tls = s.tls;
    if (!isObj(tls)) return;
    if (tls.mode === 'AUTO_PASSTHROUGH') add(`${p}.tls.mode`, 'AUTO_PASSTHROUGH needs SNI-encoded mesh clusters and mTLS between proxies');
    if (set(tls.credentialNames)) add(`${p}.tls.credentialNames`, 'one certificate per server is served; name its Secret in credentialName');
    if (set(tls.caCrl)) add(`${p}.tls.caCrl`, 'certificate revocation lists are not checked');
    unsupportedSdsServerTls(tls, `${p}.tls`, add);
  });
}

/** credentialName and ISTIO_MUTUAL servers take their certificates over SDS: file fields beside them would be ignored. */
function unsupportedSdsServerTls(tls: Obj, p: string, add: Add): void {
  const credential = typeof tls.credentialName === 'string' && tls.credentialName !== '';
  if (credential) {
    for (const f of ['serverCertificate', 'privateKey', 'caCertificates']) {
      if (set(tls[f])) add(`${p}.${f}`, `the certificates of this server come from the Secret "${shown(tls.credentialName)}"; remove ${f} or credentialName`);
    }
  }
  const verifies = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL' || tls.mode === 'ISTIO_MUTUAL';
  if (verifies && (credential || tls.mode === 'ISTIO_MUTUAL')) {
    for (const f of SDS_CLIENT_CHECKS) {
      if (set(tls[f])) add(`${p}.${f}`, 'client certificates are verified against the CA only when the CA comes over SDS (credentialName, ISTIO_MUTUAL); use caCertificates files for this check');
    }
  }
}

/** Sidecar egress listeners are bound for real: no traffic capture, no unix sockets, only protocols with a listener filter. */
export function unsupportedSidecarFields(spec: Obj, add: Add): void {
  list(spec.egress).forEach((e, i) => {
    if (!isObj(e)) return;
    const p = `spec.egress[${i}]`;
    if (e.captureMode === 'IPTABLES') add(`${p}.captureMode`, 'trellis has no iptables; egress listeners with a port are bound as with captureMode NONE');
    if (typeof e.bind === 'string' && e.bind.startsWith('unix://')) add(`${p}.bind`, 'egress listeners bind TCP ports; unix domain sockets are not served');
    const protocol = isObj(e.port) && typeof e.port.protocol === 'string' ? e.port.protocol.toUpperCase() : '';
    if (UNSERVED_PROTOCOLS.has(protocol)) add(`${p}.port.protocol`, `${protocol} egress listeners have no listener filter in trellis`);
  });
  // the inbound side is the proxy's --app-port; these would change how traffic reaches or leaves the app
  if (list(spec.ingress).length > 0) add('spec.ingress', 'inbound traffic goes to the app port the proxy was started with');
  if (spec.inboundConnectionPool !== undefined) add('spec.inboundConnectionPool', 'inbound connection limits are not translated');
  const otp = spec.outboundTrafficPolicy;
  if (isObj(otp)) {
    // a sidecar only reaches services in the registry (REGISTRY_ONLY); passthrough needs the original destination
    if (otp.mode === 'ALLOW_ANY') add('spec.outboundTrafficPolicy.mode', 'unknown hosts are never passed through (REGISTRY_ONLY is what trellis does)');
    if (otp.egressProxy !== undefined) add('spec.outboundTrafficPolicy.egressProxy', 'an egress proxy for unknown hosts is not translated');
  }
}
