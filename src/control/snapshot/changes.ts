// Ingestion stage: which change kinds separate two snapshots, and which xDS types those kinds require pushing (needsPush).
import type { ChangeKind, Snapshot } from '../model/types.js';
import { GENERATORS } from '../translate/index.js';
import type { Generator } from '../translate/generator.js';
import { CONFIG_KINDS } from '../../api/types.js';

interface Fingerprint {
  services: string;
  instances: string;
  /** The identities behind each service port (SPIFFE namespace/service account and sidecar presence). */
  identities: string;
}

const prints = new WeakMap<Snapshot, Fingerprint>();

function fingerprint(s: Snapshot): Fingerprint {
  let f = prints.get(s);
  if (f === undefined) {
    const ids = new Set(s.instances.map((i) => `${i.service}|${i.servicePort}|${i.namespace ?? ''}|${i.serviceAccount ?? ''}|${i.tlsMode ?? ''}`));
    f = { services: JSON.stringify(s.services), instances: JSON.stringify(s.instances), identities: [...ids].sort().join('\n') };
    prints.set(s, f);
  }
  return f;
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
  const a = fingerprint(prev);
  const b = fingerprint(next);
  if (a.services !== b.services) out.add('Service');
  if (a.instances !== b.instances) out.add('endpoints');
  if (a.identities !== b.identities) out.add('identities');
  return out;
}

/** Type URLs whose generator wants a push for these changes, in the generators' push order. */
export function typesToPush(changed: ReadonlySet<string>, generators: readonly Generator[] = GENERATORS): string[] {
  if (changed.size === 0) return [];
  return generators.filter((g) => g.needsPush(changed)).map((g) => g.typeUrl);
}
