// API stage: rules beyond shape for the registry-side kinds — Service, ServiceEntry, WorkloadEntry.
import { isIP } from './hosts.js';
import { asObject, checkHost, checkLabels, checkProtocol, field, isSet, items, joinPath, localityError, objects, shown, type Report } from './rules.js';

const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateService(spec: Record<string, unknown>, report: Report): void {
  const ports = objects(spec.ports, 'spec.ports');
  const names = new Map<string, number>();
  const numbers = new Map<string, number>();
  ports.forEach(([port, p], i) => {
    if (ports.length > 1 && (typeof port.name !== 'string' || port.name === '')) report(joinPath(p, 'name'), 'ports must have names when a Service has more than one port');
    if (typeof port.name === 'string' && port.name !== '') {
      if (port.name.length > 15 || !IANA_SVC_NAME.test(port.name)) report(joinPath(p, 'name'), `"${port.name}" is not a valid port name (IANA_SVC_NAME: ≤15 lower-case letters, digits, '-')`);
      if (names.has(port.name)) report(joinPath(p, 'name'), `duplicate port name "${port.name}"`);
      names.set(port.name, i);
    }
    const key = `${shown(port.port)}/${shown(port.protocol ?? 'TCP')}`;
    if (numbers.has(key)) report(joinPath(p, 'port'), `duplicate port ${key}`);
    numbers.set(key, i);
    const tp = port.targetPort;
    if (typeof tp === 'number' && (tp < 1 || tp > 65535)) report(joinPath(p, 'targetPort'), `must be between 1 and 65535, got ${tp}`);
    if (typeof tp === 'string' && (tp.length > 15 || !IANA_SVC_NAME.test(tp))) report(joinPath(p, 'targetPort'), `"${tp}" is not a valid port name`);
  });
  checkLabels(spec.selector, 'spec.selector', report);
  if (spec.type === 'ExternalName' && !isSet(spec.externalName)) report('spec.externalName', 'required for type ExternalName');
}

export function validateWorkloadEntry(spec: Record<string, unknown>, path: string, report: Report, ctx: { needsAddress: boolean; portNames?: Set<string> }): void {
  if (ctx.needsAddress && (typeof spec.address !== 'string' || spec.address === '')) report(joinPath(path, 'address'), 'address is required');
  if (typeof spec.address === 'string' && spec.address !== '' && !spec.address.startsWith('unix://') && !isIP(spec.address)) {
    checkHost(spec.address, joinPath(path, 'address'), report, { allowWildcard: false });
  }
  for (const name of Object.keys(asObject(spec.ports) ?? {})) {
    if (ctx.portNames && !ctx.portNames.has(name)) report(joinPath(joinPath(path, 'ports'), name), `endpoint port "${name}" is not defined by the service entry`);
  }
  checkLabels(spec.labels, joinPath(path, 'labels'), report);
  if (typeof spec.locality === 'string' && spec.locality !== '') {
    const reason = localityError(spec.locality, false);
    if (reason) report(joinPath(path, 'locality'), reason);
  }
  if (typeof spec.weight === 'number' && spec.weight > 0xffffffff) report(joinPath(path, 'weight'), 'weight is too large');
}

const ADDRESS = /^([0-9.]+|[0-9a-fA-F:]+)(\/\d{1,3})?$/;

export function validateServiceEntry(spec: Record<string, unknown>, report: Report): void {
  const hosts = items(spec.hosts);
  if (hosts.length === 0) report('spec.hosts', 'service entry must have at least one host');
  hosts.forEach((h, i) => {
    const p = joinPath('spec.hosts', i);
    if (h === '*') report(p, 'invalid host *');
    else if (typeof h === 'string' && isIP(h)) report(p, `host "${h}" must be a DNS name; put IP addresses in spec.addresses`);
    else checkHost(h, p, report, { allowWildcard: true });
  });
  items(spec.addresses).forEach((a, i) => {
    if (typeof a === 'string' && (!ADDRESS.test(a) || !isIP(a.split('/')[0]!))) report(joinPath('spec.addresses', i), `"${a}" is not an IP address or CIDR block`);
  });

  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  for (const [port, p] of objects(spec.ports, 'spec.ports')) {
    if (typeof port.name !== 'string' || port.name === '') report(joinPath(p, 'name'), 'port name is required');
    else if (portNames.has(port.name)) report(joinPath(p, 'name'), `port name "${port.name}" is not unique`);
    else portNames.add(port.name);
    if (typeof port.number === 'number') {
      if (portNumbers.has(port.number)) report(joinPath(p, 'number'), `port number ${port.number} is not unique`);
      portNumbers.add(port.number);
    }
    checkProtocol(port.protocol, joinPath(p, 'protocol'), report);
  }

  const endpoints = objects(spec.endpoints, 'spec.endpoints');
  const resolution = spec.resolution ?? 'NONE';
  if (resolution === 'NONE' && endpoints.length > 0) report('spec.endpoints', 'no endpoints should be provided for resolution type NONE');
  if (resolution === 'STATIC' && endpoints.length === 0 && !isSet(spec.workloadSelector)) {
    report('spec.endpoints', 'endpoints or workloadSelector must be provided for resolution type STATIC');
  }
  if (resolution === 'DNS' && endpoints.length === 0) {
    hosts.forEach((h, i) => typeof h === 'string' && h.startsWith('*') && report(joinPath('spec.hosts', i), `wildcard host "${h}" needs endpoints for resolution type DNS`));
  }
  if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) report('spec.endpoints', 'at most one endpoint may be provided for resolution type DNS_ROUND_ROBIN');
  for (const [ep, p] of endpoints) {
    validateWorkloadEntry(ep, p, report, { needsAddress: true, portNames });
    if (resolution === 'STATIC' && typeof ep.address === 'string' && !isIP(ep.address) && !ep.address.startsWith('unix://')) {
      report(joinPath(p, 'address'), `endpoint address "${ep.address}" must be an IP address (or unix://) for resolution type STATIC`);
    }
  }
  checkLabels(field(spec.workloadSelector, 'labels'), 'spec.workloadSelector.labels', report);
}
