// API stage: VirtualService analyzers — unknown destination hosts/subsets/ports (IST0101, IST0112), unknown gateways, hosts missing on gateways (IST0132), mesh host conflicts (IST0109).
import { hostsOverlap } from './hosts.js';
import type { MeshIndex } from './mesh-index.js';
import {
  ConflictingMeshGatewayVirtualServiceHosts,
  ReferencedResourceNotFound,
  VirtualServiceDestinationPortSelectorRequired,
  VirtualServiceHostNotFoundInGateway,
  message,
  type Message,
} from './messages.js';
import { resourceRef, type Destination, type VirtualService } from './types.js';

/** Every destination a VirtualService sends to, with its path. */
function destinations(vs: VirtualService): { d: Destination; path: string }[] {
  const out: { d: Destination; path: string }[] = [];
  (vs.spec.http ?? []).forEach((r, i) => {
    (r.route ?? []).forEach((rd, j) => out.push({ d: rd.destination, path: `spec.http[${i}].route[${j}].destination` }));
    if (r.mirror) out.push({ d: r.mirror, path: `spec.http[${i}].mirror` });
    (r.mirrors ?? []).forEach((m, j) => out.push({ d: m.destination, path: `spec.http[${i}].mirrors[${j}].destination` }));
  });
  for (const kind of ['tcp', 'tls'] as const) {
    (vs.spec[kind] ?? []).forEach((r, i) => (r.route ?? []).forEach((rd, j) => out.push({ d: rd.destination, path: `spec.${kind}[${i}].route[${j}].destination` })));
  }
  return out.filter((x) => x.d && typeof x.d.host === 'string');
}

/** `ns/name` of a gateway reference made from `namespace`. */
function gatewayKey(ref: string, namespace: string): string {
  return ref.includes('/') ? ref : `${namespace}/${ref}`;
}

export function analyzeVirtualService(vs: VirtualService, idx: MeshIndex): Message[] {
  const out: Message[] = [];
  const ref = resourceRef(vs);
  const ns = vs.metadata.namespace;

  for (const { d, path } of destinations(vs)) {
    const host = idx.resolve(d.host, ns);
    if (!idx.hostKnown(host)) {
      out.push(message(ReferencedResourceNotFound, ref, `Referenced host not found: "${d.host}"`, `${path}.host`));
      continue;
    }
    if (d.subset !== undefined) {
      const found = idx.destinationRules.some(
        (dr) => hostsOverlap(idx.resolve(dr.spec.host, dr.metadata.namespace), host) && (dr.spec.subsets ?? []).some((s) => s.name === d.subset),
      );
      if (!found) out.push(message(ReferencedResourceNotFound, ref, `Referenced host+subset in destinationrule not found: "${d.host}+${d.subset}"`, `${path}.subset`));
    }
    const svc = idx.services.get(host);
    const ports = (svc?.spec.ports ?? []).map((p) => p.port);
    if (svc && d.port === undefined && ports.length > 1) {
      out.push(
        message(
          VirtualServiceDestinationPortSelectorRequired,
          ref,
          `This VirtualService routes to a service "${d.host}" that exposes multiple ports [${ports.join(' ')}]. Specifying a port in the destination is required to disambiguate.`,
          path,
        ),
      );
    }
    if (svc && d.port !== undefined && ports.length > 0 && !ports.includes(d.port.number)) {
      out.push(message(ReferencedResourceNotFound, ref, `Referenced host:port not found: "${d.host}:${d.port.number}"`, `${path}.port.number`));
    }
  }

  const gatewayRefs: { g: string; path: string }[] = (vs.spec.gateways ?? []).map((g, i) => ({ g, path: `spec.gateways[${i}]` }));
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    (vs.spec[kind] ?? []).forEach((r, i) =>
      (r.match ?? []).forEach((m, j) => (m.gateways ?? []).forEach((g, k) => gatewayRefs.push({ g, path: `spec.${kind}[${i}].match[${j}].gateways[${k}]` }))),
    );
  }
  for (const { g, path } of gatewayRefs) {
    if (g === 'mesh') continue;
    const gw = idx.gateways.get(gatewayKey(g, ns));
    if (!gw) {
      out.push(message(ReferencedResourceNotFound, ref, `Referenced gateway not found: "${g}"`, path));
      continue;
    }
    if (!path.startsWith('spec.gateways')) continue;
    // Gateway server hosts are `[namespace/]host`; a VirtualService host must be admitted by one of them.
    const serverHosts = gw.spec.servers.flatMap((s) => s.hosts ?? []).map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h));
    const missing = (vs.spec.hosts ?? []).filter((h) => !serverHosts.some((sh) => hostsOverlap(sh, h)));
    if (missing.length > 0) {
      out.push(
        message(
          VirtualServiceHostNotFoundInGateway,
          ref,
          `one or more host [${missing.join(' ')}] defined in VirtualService ${vs.metadata.namespace}/${vs.metadata.name} not found in Gateway ${gatewayKey(g, ns)}.`,
          path,
        ),
      );
    }
  }
  return out;
}

/** Two VirtualServices for the same host on the mesh gateway cannot be merged by Istio: IST0109 on each. */
export function analyzeMeshHostConflicts(idx: MeshIndex): Message[] {
  const byHost = new Map<string, VirtualService[]>();
  for (const vs of idx.virtualServices) {
    const gws = vs.spec.gateways ?? [];
    if (gws.length > 0 && !gws.includes('mesh')) continue;
    const hosts = new Set((vs.spec.hosts ?? []).map((h) => idx.resolve(h, vs.metadata.namespace)));
    for (const h of hosts) byHost.set(h, [...(byHost.get(h) ?? []), vs]);
  }
  const out: Message[] = [];
  for (const [host, list] of byHost) {
    if (list.length < 2) continue;
    const names = list.map((v) => `${v.metadata.namespace}/${v.metadata.name}`).join(',');
    for (const vs of list) {
      out.push(
        message(
          ConflictingMeshGatewayVirtualServiceHosts,
          resourceRef(vs),
          `The VirtualServices ${names} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
          'spec.hosts',
        ),
      );
    }
  }
  return out;
}
