// API stage: VirtualService delegation analyzer — a root's http[].delegate must name a delegate (hostless) VirtualService visible to it (IST0101).
import type { MeshIndex } from './mesh-index.js';
import { ReferencedResourceNotFound, message, type Message } from './messages.js';
import { resourceRef, type VirtualService } from './types.js';

/** Istio exportTo as seen from `ns`: absent or '*' everywhere, '.' own namespace, else the listed namespaces. */
function visibleFrom(vs: VirtualService, ns: string): boolean {
  const e = vs.spec.exportTo ?? [];
  return e.length === 0 || e.some((x) => x === '*' || x === ns || (x === '.' && vs.metadata.namespace === ns));
}

/** Each delegate reference that translation would drop (the root's entry then routes nothing), with the reason. */
export function analyzeDelegates(vs: VirtualService, idx: MeshIndex): Message[] {
  const out: Message[] = [];
  const ref = resourceRef(vs);
  const ns = vs.metadata.namespace;
  (vs.spec.http ?? []).forEach((h, i) => {
    if (h.delegate === undefined) return;
    const key = `${h.delegate.namespace ?? ns}/${h.delegate.name}`;
    const path = `spec.http[${i}].delegate`;
    const target = idx.virtualServices.find((v) => `${v.metadata.namespace}/${v.metadata.name}` === key);
    let why: string | undefined;
    if (target === undefined) why = 'no such VirtualService';
    else if ((target.spec.hosts ?? []).length > 0) why = 'it has hosts, so it is not a delegate';
    else if (!visibleFrom(target, ns)) why = `it is not exported to namespace "${ns}"`;
    if (why !== undefined) out.push(message(ReferencedResourceNotFound, ref, `Referenced delegate VirtualService not found: "${key}" (${why})`, path));
  });
  return out;
}
