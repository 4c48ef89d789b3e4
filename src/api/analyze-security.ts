// API stage: analyzers for AuthorizationPolicy — CUSTOM policies translation cannot serve (their workloads fail closed),
// selectors that match no workload (IST0127), and DENY rules that, being HTTP-only, deny every TCP connection.
import type { MeshConfig } from './mesh-config.js';
import { type MeshIndex, selects } from './mesh-index.js';
import { AuthorizationPolicyDeniesTcp, AuthorizationPolicyNotTranslated, NoMatchingWorkloadsFound, message, type Message } from './messages.js';
import { type AuthorizationPolicy, type MeshResource, resourceRef } from './types.js';

const DEFAULT_ROOT_NAMESPACE = 'istio-system';

function policies(rs: readonly MeshResource[]): AuthorizationPolicy[] {
  return rs.filter((r): r is AuthorizationPolicy => r.kind === 'AuthorizationPolicy');
}

/** Why the CUSTOM policy's provider cannot be served, as translation decides it (undefined: it can, or we cannot tell). */
function providerProblem(p: AuthorizationPolicy, idx: MeshIndex, mesh: MeshConfig | undefined): string | undefined {
  const name = p.spec.provider?.name ?? '';
  if (mesh === undefined) return undefined;
  const provider = mesh.extAuthzProviders.find((x) => x.name === name);
  if (provider === undefined) {
    return mesh.telemetryProviders.some((x) => x.name === name) ? `provider "${name}" is not an ext_authz provider` : `provider "${name}" is not defined in the mesh config's extensionProviders`;
  }
  const svc = idx.services.get(provider.host);
  const known = svc !== undefined || idx.entryHosts.some((e) => e.host === provider.host);
  if (!known) return `provider "${name}": service ${provider.host} is not in the service registry`;
  if (svc !== undefined && !(svc.spec.ports ?? []).some((port) => port.port === provider.port)) return `provider "${name}": service ${provider.host} has no port ${provider.port}`;
  return undefined;
}

function selectsWorkload(p: AuthorizationPolicy, w: { namespace: string; labels: Record<string, string> }, root: string): boolean {
  const ns = p.metadata.namespace;
  return (ns === root || ns === w.namespace) && selects(p.spec.selector?.matchLabels, w.labels);
}

/** A DENY rule whose every field is HTTP-only matches every TCP connection (Istio's webhook warns about it). */
function httpOnlyDenyRules(p: AuthorizationPolicy): number[] {
  if (p.spec.action !== 'DENY') return [];
  const tcpSource = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts'] as const;
  return (p.spec.rules ?? []).flatMap((r, i) => {
    const froms = r.from ?? [];
    const tos = r.to ?? [];
    const tcpFrom = froms.some((f) => tcpSource.some((k) => (f.source?.[k]?.length ?? 0) > 0));
    const tcpTo = tos.some((t) => (t.operation?.ports?.length ?? 0) + (t.operation?.notPorts?.length ?? 0) > 0);
    return (froms.length > 0 && tos.length === 0 && !tcpFrom) || (tos.length > 0 && !tcpTo) ? [i] : [];
  });
}

export function analyzeAuthorizationPolicies(resources: readonly MeshResource[], idx: MeshIndex, mesh: MeshConfig | undefined): Message[] {
  const out: Message[] = [];
  const root = mesh?.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const all = policies(resources);
  for (const p of all) {
    const ref = resourceRef(p);
    if (p.spec.action === 'CUSTOM') {
      const why = providerProblem(p, idx, mesh);
      if (why !== undefined) out.push(message(AuthorizationPolicyNotTranslated, ref, `cannot be translated (${why}): the workloads it selects deny every request`, 'spec.provider.name'));
    }
    for (const i of httpOnlyDenyRules(p)) {
      out.push(message(AuthorizationPolicyDeniesTcp, ref, 'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port', `spec.rules[${i}]`));
    }
    const selector = p.spec.selector?.matchLabels;
    if (idx.workloads !== undefined && selector !== undefined && Object.keys(selector).length > 0 && !idx.workloads.some((w) => selectsWorkload(p, w, root))) {
      out.push(message(NoMatchingWorkloadsFound, ref, `No matching workloads for this resource with the following labels: ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}`, 'spec.selector'));
    }
  }
  // at most one CUSTOM provider per workload: a second one makes translation fail closed for that workload
  for (const w of idx.workloads ?? []) {
    const custom = all.filter((p) => p.spec.action === 'CUSTOM' && selectsWorkload(p, w, root));
    const names = [...new Set(custom.map((p) => p.spec.provider?.name ?? ''))];
    if (names.length < 2) continue;
    for (const p of custom) {
      out.push(message(AuthorizationPolicyNotTranslated, resourceRef(p), `cannot be translated for workload ${w.namespace}/${w.name ?? '?'}: only one CUSTOM provider may apply to a workload, found ${names.join(', ')}; it denies every request`, 'spec.provider.name'));
    }
  }
  return out;
}
