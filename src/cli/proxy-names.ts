// CLI: which connected proxy a user means — its full node id, istioctl's `pod.namespace` name, the pod name alone,
// `WORKLOAD.NAMESPACE` (when one proxy runs that workload), or a unique prefix of a name or id.
import type { ProxyInfo } from './api-types.js';
import { UsageError } from './client.js';

/** The NAME `proxy-status` shows (servers before short names sent only the id). */
export function proxyName(p: ProxyInfo): string {
  return p.name ?? p.id;
}

function podOf(p: ProxyInfo): string {
  const name = proxyName(p);
  const dot = name.lastIndexOf('.');
  return dot > 0 && name.slice(dot + 1) === p.namespace ? name.slice(0, dot) : name;
}

/** The one proxy `ref` names; a usage error naming the candidates when none or several match. */
export function resolveProxy(proxies: readonly ProxyInfo[], ref: string): ProxyInfo {
  const rules: ((p: ProxyInfo) => boolean)[] = [
    (p) => p.id === ref,
    (p) => proxyName(p) === ref,
    (p) => p.workload !== undefined && `${p.workload}.${p.namespace}` === ref,
    (p) => podOf(p) === ref,
    (p) => proxyName(p).startsWith(ref) || p.id.startsWith(ref),
  ];
  for (const rule of rules) {
    const found = proxies.filter(rule);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw new UsageError(`"${ref}" matches ${found.length} proxies: ${found.map(proxyName).sort().join(', ')}; name one`);
  }
  throw new UsageError(`no connected proxy "${ref}"; see \`trellis proxy-status\``);
}
