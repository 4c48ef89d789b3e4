// API stage: rules beyond shape for the proxy-facing kinds — Gateway servers and Sidecar listeners.
import { isIP } from './hosts.js';
import { asObject, checkDuration, checkLabels, checkNamespacedHost, checkProtocol, field, isSet, items, joinPath, objects, type Report } from './rules.js';

export function validateGateway(spec: Record<string, unknown>, report: Report): void {
  const servers = objects(spec.servers, 'spec.servers');
  if (servers.length === 0) report('spec.servers', 'gateway must have at least one server');
  const names = new Set<string>();
  for (const [s, p] of servers) {
    const hosts = items(s.hosts);
    if (hosts.length === 0) report(joinPath(p, 'hosts'), 'server config must contain at least one host');
    hosts.forEach((h, i) => checkNamespacedHost(h, joinPath(joinPath(p, 'hosts'), i), report, { requireNamespace: false }));
    if (typeof s.name === 'string' && s.name !== '') {
      if (names.has(s.name)) report(joinPath(p, 'name'), `server name "${s.name}" is not unique`);
      names.add(s.name);
    }
    const protocol = field(s.port, 'protocol');
    checkProtocol(protocol, joinPath(p, 'port.protocol'), report);
    if (!isSet(protocol)) report(joinPath(p, 'port.protocol'), 'protocol is required for a gateway server port');
    const proto = typeof protocol === 'string' ? protocol.toUpperCase() : '';
    const tls = asObject(s.tls);
    if ((proto === 'HTTPS' || proto === 'TLS') && !tls) report(joinPath(p, 'tls'), `server must have TLS settings for ${proto}`);
    if (tls) validateServerTls(tls, joinPath(p, 'tls'), proto, report);
  }
  checkLabels(spec.selector, 'spec.selector', report);
}

function validateServerTls(tls: Record<string, unknown>, p: string, proto: string, report: Report): void {
  // mode unset is PASSTHROUGH (the proto default) — typical for an HTTP server that only sets httpsRedirect.
  const mode = tls.mode;
  const hasCred = isSet(tls.credentialName) || items(tls.credentialNames).length > 0;
  if (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') {
    if (!hasCred && (!isSet(tls.serverCertificate) || !isSet(tls.privateKey))) {
      report(p, `${mode} mode requires credentialName, or serverCertificate and privateKey`);
    }
    if ((mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') && !hasCred && !isSet(tls.caCertificates)) {
      report(joinPath(p, 'caCertificates'), `${mode} mode requires caCertificates (or credentialName)`);
    }
  }
  if (mode === 'ISTIO_MUTUAL' && (hasCred || isSet(tls.serverCertificate) || isSet(tls.privateKey) || isSet(tls.caCertificates))) {
    report(p, 'ISTIO_MUTUAL mode must not set certificates or credentialName (the mesh provides them)');
  }
  // Istio passes TLS through by SNI on HTTPS servers too (its SNI-passthrough task uses protocol HTTPS); an unset mode is
  // the proto default PASSTHROUGH. On a plaintext protocol there is no TLS to pass through.
  if ((mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && proto !== 'TLS' && proto !== 'HTTPS') {
    report(joinPath(p, 'mode'), `${mode} requires port protocol TLS or HTTPS`);
  }
}

export function validateSidecar(spec: Record<string, unknown>, report: Report): void {
  const egress = objects(spec.egress, 'spec.egress');
  const ingress = objects(spec.ingress, 'spec.ingress');
  if (egress.length === 0 && ingress.length === 0 && !isSet(spec.outboundTrafficPolicy) && !isSet(spec.inboundConnectionPool)) {
    report('spec', 'sidecar: empty configuration provided');
  }
  egress.forEach(([e, p], i) => {
    const hosts = items(e.hosts);
    if (hosts.length === 0) report(joinPath(p, 'hosts'), 'egress listener must have at least one host');
    hosts.forEach((h, j) => checkNamespacedHost(h, joinPath(joinPath(p, 'hosts'), j), report, { requireNamespace: true }));
    // Istio: the catch-all listener (no port) must be the last one, otherwise later listeners never match.
    if (!isSet(e.port) && i !== egress.length - 1) report(p, 'the egress listener with empty port should be the last listener in the list');
    checkProtocol(field(e.port, 'protocol'), joinPath(p, 'port.protocol'), report);
  });
  validateEgressPorts(egress, report);
  for (const [ing, p] of ingress) {
    checkProtocol(field(ing.port, 'protocol'), joinPath(p, 'port.protocol'), report);
    const de = ing.defaultEndpoint;
    if (typeof de === 'string' && de !== '' && !de.startsWith('unix://') && !/^(127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d{1,5}$/.test(de)) {
      report(joinPath(p, 'defaultEndpoint'), `defaultEndpoint "${de}" must be 127.0.0.1:PORT, 0.0.0.0:PORT or unix://path`);
    }
  }
  const obp = asObject(spec.outboundTrafficPolicy);
  if (obp && isSet(obp.egressProxy) && obp.mode !== 'ALLOW_ANY') {
    report('spec.outboundTrafficPolicy.egressProxy', 'egressProxy requires mode ALLOW_ANY');
  }
  checkDuration(field(field(spec.inboundConnectionPool, 'http'), 'idleTimeout'), 'spec.inboundConnectionPool.http.idleTimeout', report);
  checkLabels(field(spec.workloadSelector, 'labels'), 'spec.workloadSelector.labels', report);
}

/** Ports a Trellis sidecar binds by default: an egress listener there could never bind (custom ports are checked by analyze). */
const SIDECAR_PORTS: Readonly<Record<number, string>> = { 15000: 'admin', 15001: 'outbound', 15006: 'inbound' };

/**
 * Egress listeners with a port are bound for real (Trellis has no iptables: captureMode NONE), so each needs a
 * protocol, an IP bind (default 127.0.0.1) and a port no other egress listener and no sidecar port uses.
 */
function validateEgressPorts(egress: [Record<string, unknown>, string][], report: Report): void {
  const seen = new Map<number, string>();
  for (const [e, p] of egress) {
    const port = field(e.port, 'number');
    const bind = e.bind;
    if (!isSet(e.port)) {
      if (isSet(bind)) report(joinPath(p, 'bind'), 'bind requires a port');
      continue;
    }
    if (!isSet(field(e.port, 'protocol'))) report(joinPath(p, 'port.protocol'), 'protocol is required for an egress listener port');
    if (typeof bind === 'string' && !bind.startsWith('unix://') && !isIP(bind)) report(joinPath(p, 'bind'), `bind "${bind}" must be an IP address (or unix://path)`);
    if (typeof port !== 'number') continue;
    const own = SIDECAR_PORTS[port];
    if (own !== undefined) report(joinPath(p, 'port.number'), `port ${port} is the sidecar's ${own} port; an egress listener there could never bind`);
    const first = seen.get(port);
    if (first !== undefined) report(joinPath(p, 'port.number'), `port ${port} is already used by ${first} (ports of egress listeners must be unique)`);
    else seen.set(port, p);
  }
}
