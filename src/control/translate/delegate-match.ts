// Translate stage: Istio's merge of a root route's match blocks with a delegate route's (each delegate block must fit inside a root block).
import type { HTTPMatchRequest, StringMatch } from '../../api/types.js';

/** Istio (proto3) treats an empty string as unset. */
const set = (s: string | undefined): s is string => s !== undefined && s !== '';

/**
 * Can `leaf` not narrow `root`? Only exact==exact, prefix under prefix and exact under prefix fit;
 * any regex, or a root condition the leaf cannot be shown to narrow, conflicts. An absent side never does.
 */
export function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (root === undefined || leaf === undefined) return false;
  const any = (m: StringMatch): boolean => set(m.exact) || set(m.prefix) || set(m.regex);
  if (set(root.regex) && any(leaf)) return true;
  if (set(leaf.regex) && any(root)) return true;
  if (set(root.exact)) return set(leaf.prefix) || leaf.exact !== root.exact;
  if (set(root.prefix)) {
    if (set(leaf.prefix)) return !leaf.prefix.startsWith(root.prefix);
    if (set(leaf.exact)) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}

function mapConflict(root: Record<string, StringMatch> | undefined, leaf: Record<string, StringMatch> | undefined): boolean {
  return Object.entries(leaf ?? {}).some(([k, v]) => stringMatchConflict(root?.[k], v));
}

/** Istio's hasConflict: `leaf` (a delegate block, gateways already resolved) cannot be merged into `root`. */
export function matchConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  const keys = ['uri', 'scheme', 'method', 'authority'] as const;
  if (keys.some((k) => stringMatchConflict(root[k], leaf[k]))) return true;
  if (mapConflict(root.headers, leaf.headers) || mapConflict(root.withoutHeaders, leaf.withoutHeaders) || mapConflict(root.queryParams, leaf.queryParams)) return true;
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if (root.port !== undefined && leaf.port !== undefined && root.port !== leaf.port) return true;
  // as Istio: a root sourceNamespace must be repeated by the delegate block, not merely left out
  if (set(root.sourceNamespace) && leaf.sourceNamespace !== root.sourceNamespace) return true;
  if (Object.entries(leaf.sourceLabels ?? {}).some(([k, v]) => root.sourceLabels?.[k] !== undefined && root.sourceLabels[k] !== v)) return true;
  const rg = root.gateways ?? [];
  const lg = leaf.gateways ?? [];
  return rg.length > 0 && lg.length > 0 && (rg.length < lg.length || lg.some((g) => !rg.includes(g)));
}

function mergeMap<V>(a: Record<string, V> | undefined, b: Record<string, V> | undefined): Record<string, V> | undefined {
  return a === undefined && b === undefined ? undefined : { ...a, ...b };
}

function joinName(root: string | undefined, leaf: string | undefined): string | undefined {
  if (!set(leaf)) return root;
  return set(root) ? `${root}-${leaf}` : leaf;
}

/** One merged block: the delegate's conditions, the root's where the delegate has none; maps united (delegate wins a key). */
export function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...leaf };
  const name = joinName(root.name, leaf.name);
  if (name !== undefined) out.name = name;
  for (const k of ['uri', 'scheme', 'method', 'authority'] as const) {
    const v = leaf[k] ?? root[k];
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const v = mergeMap(root[k], leaf[k]);
    if (v !== undefined) out[k] = v;
  }
  const labels = mergeMap(root.sourceLabels, leaf.sourceLabels);
  if (labels !== undefined) out.sourceLabels = labels;
  const port = leaf.port ?? root.port;
  if (port !== undefined) out.port = port;
  const sourceNamespace = set(leaf.sourceNamespace) ? leaf.sourceNamespace : root.sourceNamespace;
  if (sourceNamespace !== undefined) out.sourceNamespace = sourceNamespace;
  const gateways = (leaf.gateways ?? []).length > 0 ? leaf.gateways : root.gateways;
  if (gateways !== undefined) out.gateways = gateways;
  const statPrefix = set(leaf.statPrefix) ? leaf.statPrefix : root.statPrefix;
  if (statPrefix !== undefined) out.statPrefix = statPrefix;
  return out;
}

/**
 * A delegate route's blocks merged with the root's: every delegate block pairs with each root block it fits in;
 * a block fitting none makes the whole delegate route unusable (undefined), as in Istio. No blocks on one side = the other's.
 */
export function mergeMatches(root: readonly HTTPMatchRequest[] | undefined, leaf: readonly HTTPMatchRequest[] | undefined): HTTPMatchRequest[] | undefined {
  if (root === undefined || root.length === 0) return leaf === undefined ? [] : [...leaf];
  if (leaf === undefined || leaf.length === 0) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const l of leaf) {
    const fits = root.filter((r) => !matchConflict(r, l));
    if (fits.length === 0) return undefined;
    for (const r of fits) out.push(mergeMatch(r, l));
  }
  return out;
}
