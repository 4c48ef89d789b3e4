// API stage: DestinationRule rules beyond shape (Istio webhook equivalents): host, subsets, load balancing, locality, pools, outlier detection, TLS.
import { durationError } from './duration.js';
import {
  asObject,
  checkDns1123Label,
  checkDuration,
  checkHost,
  checkLabels,
  field,
  isSet,
  joinPath,
  localityError,
  objects,
  type Report,
} from './rules.js';

export function validateDestinationRule(spec: Record<string, unknown>, report: Report): void {
  checkHost(spec.host, 'spec.host', report, { allowWildcard: true });
  validateTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', report, true);
  const seen = new Map<string, number>();
  objects(spec.subsets, 'spec.subsets').forEach(([s, p], i) => {
    checkDns1123Label(s.name, joinPath(p, 'name'), report, 'subset name');
    if (typeof s.name === 'string') {
      const first = seen.get(s.name);
      if (first !== undefined) report(joinPath(p, 'name'), `duplicate subset name "${s.name}" (also spec.subsets[${first}])`);
      else seen.set(s.name, i);
    }
    checkLabels(s.labels, joinPath(p, 'labels'), report);
    validateTrafficPolicy(s.trafficPolicy, joinPath(p, 'trafficPolicy'), report, true);
  });
  checkLabels(field(spec.workloadSelector, 'labels'), 'spec.workloadSelector.labels', report);
}

function validateTrafficPolicy(v: unknown, p: string, report: Report, allowPortLevel: boolean): void {
  const tp = asObject(v);
  if (!tp) return;
  const parts = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings'];
  if (!parts.some((k) => isSet(tp[k]))) report(p, 'traffic policy must have at least one field');
  validateLoadBalancer(tp.loadBalancer, joinPath(p, 'loadBalancer'), report);
  validateConnectionPool(tp.connectionPool, joinPath(p, 'connectionPool'), report);
  validateOutlierDetection(tp.outlierDetection, joinPath(p, 'outlierDetection'), report);
  validateClientTls(tp.tls, joinPath(p, 'tls'), report);
  if (!allowPortLevel) return;
  const ports = new Map<number, number>();
  objects(tp.portLevelSettings, joinPath(p, 'portLevelSettings')).forEach(([pl, pp], i) => {
    const n = field(pl.port, 'number');
    if (typeof n === 'number') {
      const first = ports.get(n);
      if (first !== undefined) report(joinPath(pp, 'port.number'), `duplicate port-level settings for port ${n} (also portLevelSettings[${first}])`);
      else ports.set(n, i);
    }
    if (!['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'].some((k) => isSet(pl[k]))) {
      report(pp, 'port traffic policy must have at least one field besides port');
    }
    validateLoadBalancer(pl.loadBalancer, joinPath(pp, 'loadBalancer'), report);
    validateConnectionPool(pl.connectionPool, joinPath(pp, 'connectionPool'), report);
    validateOutlierDetection(pl.outlierDetection, joinPath(pp, 'outlierDetection'), report);
    validateClientTls(pl.tls, joinPath(pp, 'tls'), report);
  });
}

function validateLoadBalancer(v: unknown, p: string, report: Report): void {
  const lb = asObject(v);
  if (!lb) return;
  const ch = asObject(lb.consistentHash);
  if (ch) {
    const cookieTtl = field(ch.httpCookie, 'ttl');
    // ttl 0s is Istio's "session cookie", so only syntax is checked.
    if (typeof cookieTtl === 'string') {
      const reason = durationError(cookieTtl, 0);
      if (reason) report(joinPath(p, 'consistentHash.httpCookie.ttl'), reason);
    }
    const size = field(ch.maglev, 'tableSize');
    if (typeof size === 'number' && !isPrime(size)) report(joinPath(p, 'consistentHash.maglev.tableSize'), `tableSize must be a prime number, got ${size}`);
  }
  checkDuration(lb.warmupDurationSecs, joinPath(p, 'warmupDurationSecs'), report);
  validateLocality(lb.localityLbSetting, joinPath(p, 'localityLbSetting'), report);
}

function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function validateLocality(v: unknown, p: string, report: Report): void {
  const l = asObject(v);
  if (!l) return;
  const distribute = objects(l.distribute, joinPath(p, 'distribute'));
  const failover = objects(l.failover, joinPath(p, 'failover'));
  if (distribute.length > 0 && failover.length > 0) report(p, "can not simultaneously set 'distribute' and 'failover'");
  for (const [d, dp] of distribute) {
    if (typeof d.from === 'string') {
      const reason = localityError(d.from, true);
      if (reason) report(joinPath(dp, 'from'), reason);
    }
    const to = asObject(d.to) ?? {};
    let total = 0;
    for (const [loc, w] of Object.entries(to)) {
      const reason = localityError(loc, true);
      if (reason) report(joinPath(joinPath(dp, 'to'), loc), reason);
      if (typeof w === 'number') total += w;
    }
    if (Object.keys(to).length > 0 && total !== 100) report(joinPath(dp, 'to'), `total load balancing weight must sum up to 100, got ${total}`);
  }
  for (const [f, fp] of failover) {
    for (const k of ['from', 'to']) {
      if (typeof f[k] !== 'string') continue;
      const reason = localityError(f[k], false);
      if (reason) report(joinPath(fp, k), reason);
    }
    // Istio fails over between regions only; same-region failover is the zone/subzone default.
    if (typeof f.from === 'string' && f.from === f.to) report(fp, 'locality lb failover settings must specify different regions');
  }
}

function validateConnectionPool(v: unknown, p: string, report: Report): void {
  const cp = asObject(v);
  if (!cp) return;
  if (!isSet(cp.tcp) && !isSet(cp.http)) report(p, 'must set at least one of tcp or http');
  const tcp = asObject(cp.tcp);
  if (tcp) {
    for (const k of ['connectTimeout', 'maxConnectionDuration', 'idleTimeout']) checkDuration(tcp[k], joinPath(joinPath(p, 'tcp'), k), report);
    const ka = asObject(tcp.tcpKeepalive);
    if (ka) for (const k of ['time', 'interval']) checkDuration(ka[k], joinPath(joinPath(p, 'tcp.tcpKeepalive'), k), report);
  }
  checkDuration(field(cp.http, 'idleTimeout'), joinPath(p, 'http.idleTimeout'), report);
}

function validateOutlierDetection(v: unknown, p: string, report: Report): void {
  const od = asObject(v);
  if (!od) return;
  checkDuration(od.interval, joinPath(p, 'interval'), report);
  checkDuration(od.baseEjectionTime, joinPath(p, 'baseEjectionTime'), report);
  if (isSet(od.consecutiveErrors) && isSet(od.consecutive5xxErrors)) {
    report(joinPath(p, 'consecutiveErrors'), 'consecutiveErrors is deprecated and may not be combined with consecutive5xxErrors');
  }
}

function validateClientTls(v: unknown, p: string, report: Report): void {
  const tls = asObject(v);
  if (!tls) return;
  const certFields = ['clientCertificate', 'privateKey', 'caCertificates', 'caCrl', 'credentialName'];
  if (tls.mode === 'ISTIO_MUTUAL') {
    const set = certFields.filter((k) => isSet(tls[k]));
    if (set.length > 0) report(p, `cannot specify ${set.join(', ')} when tls mode is ISTIO_MUTUAL (the mesh provides certificates)`);
  }
  if (tls.mode === 'MUTUAL' && !isSet(tls.credentialName)) {
    if (!isSet(tls.clientCertificate)) report(joinPath(p, 'clientCertificate'), 'client certificate required for mutual tls (or set credentialName)');
    if (!isSet(tls.privateKey)) report(joinPath(p, 'privateKey'), 'private key required for mutual tls (or set credentialName)');
  }
  if (isSet(tls.credentialName) && (isSet(tls.clientCertificate) || isSet(tls.privateKey) || isSet(tls.caCertificates))) {
    report(joinPath(p, 'credentialName'), 'credentialName may not be combined with clientCertificate, privateKey or caCertificates');
  }
  // Istio: skipping verification and saying what to verify contradict each other
  if ((tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && tls.insecureSkipVerify === true) {
    for (const k of ['caCertificates', 'subjectAltNames', 'caCrl']) {
      if (isSet(tls[k])) report(joinPath(p, k), `cannot specify ${k} when insecureSkipVerify is true`);
    }
  }
}
