// Ingestion stage: which change kinds separate two snapshots, and which xDS types those kinds require pushing (needsPush).
import type { ChangeKind, InstanceInfo, ServiceInfo, Snapshot } from '../model/types.js';
import { GENERATORS } from '../translate/index.js';
import type { Generator } from '../translate/generator.js';
import { CONFIG_KINDS } from '../../api/types.js';

// Unchanged services and endpoint lists are the same objects from one snapshot to the next (resources and the
// endpoint index memoize on identity), so comparing two snapshots is identity checks plus JSON of what changed.
const json = new WeakMap<object, string>();
const identityPrints = new WeakMap<readonly InstanceInfo[], string>();

function jsonOf(o: object): string {
  let j = json.get(o);
  if (j === undefined) json.set(o, (j = JSON.stringify(o)));
  return j;
}

/** The identities behind a service's endpoints: SPIFFE namespace/service account and sidecar presence per port. */
function identitiesOf(list: readonly InstanceInfo[]): string {
  let f = identityPrints.get(list);
  if (f === undefined) {
    const ids = new Set(list.map((i) => `${i.servicePort}|${i.namespace ?? ''}|${i.serviceAccount ?? ''}|${i.tlsMode ?? ''}`));
    identityPrints.set(list, (f = [...ids].sort().join('\n')));
  }
  return f;
}

function servicesDiffer(a: readonly ServiceInfo[], b: readonly ServiceInfo[]): boolean {
  if (a.length !== b.length) return true;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k] && jsonOf(a[k]!) !== jsonOf(b[k]!)) return true;
  return false;
}

/** Whether any service's endpoints, or the identities behind them, differ. */
function endpointChanges(a: ReadonlyMap<string, readonly InstanceInfo[]>, b: ReadonlyMap<string, readonly InstanceInfo[]>): { endpoints: boolean; identities: boolean } {
  const out = { endpoints: false, identities: false };
  const compare = (x: readonly InstanceInfo[], y: readonly InstanceInfo[]): void => {
    if (x === y) return;
    if (!out.endpoints && jsonOf(x) !== jsonOf(y)) out.endpoints = true;
    if (!out.identities && identitiesOf(x) !== identitiesOf(y)) out.identities = true;
  };
  for (const [host, list] of b) compare(a.get(host) ?? [], list);
  for (const [host, list] of a) if (!b.has(host)) compare(list, []);
  return out;
}

/**
 * The kinds the store reported changed, plus what the registry side changed, found by comparing derived
 * services and endpoints: registry churn that moves only endpoints yields just 'endpoints' (EDS-only push),
 * one that creates or removes a declared service also yields 'Service'. No previous snapshot = everything.
 */
export function changedKinds(prev: Snapshot | undefined, next: Snapshot, storeKinds: ReadonlySet<string>): Set<ChangeKind> {
  const out = new Set<ChangeKind>();
  if (prev === undefined) {
    for (const k of CONFIG_KINDS) out.add(k);
    out.add('endpoints');
    out.add('identities');
    out.add('trustBundle');
    return out;
  }
  for (const k of storeKinds) if ((CONFIG_KINDS as readonly string[]).includes(k) || k === 'trustBundle') out.add(k as ChangeKind);
  if (servicesDiffer(prev.services, next.services)) out.add('Service');
  const e = endpointChanges(prev.index.instancesByService, next.index.instancesByService);
  if (e.endpoints) out.add('endpoints');
  if (e.identities) out.add('identities');
  return out;
}

/** Type URLs whose generator wants a push for these changes, in the generators' push order. */
export function typesToPush(changed: ReadonlySet<string>, generators: readonly Generator[] = GENERATORS): string[] {
  if (changed.size === 0) return [];
  return generators.filter((g) => g.needsPush(changed)).map((g) => g.typeUrl);
}
