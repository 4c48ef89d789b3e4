// Ingestion stage: every service's endpoints, kept across rebuilds — a change to a few workloads recomputes only the
// services whose selectors can match them, so a rebuild of a 50,000-endpoint mesh costs what changed, not the mesh.
import type { Service, ServiceEntry, WorkloadEntry } from '../../api/types.js';
import { byEndpoint, cmp } from '../model/snapshot.js';
import type { InstanceInfo } from '../model/types.js';
import { type EndpointSource, type SourceLookup, entryInstances, labelKey, selectorMatches, serviceInstances, sourceFromEntry, sourceFromWorkload } from '../registry/endpoints.js';
import type { RegisteredWorkload } from '../registry/types.js';

type Origin = RegisteredWorkload | WorkloadEntry;
type Backed = Service | ServiceEntry;
type Instances = readonly InstanceInfo[];

interface Tracked {
  /** Undefined for a WorkloadEntry without an address (it backs nothing). */
  source: EndpointSource | undefined;
  sweep: number;
}

interface Computed {
  /** The generation of the label the resource's selector is looked up by, when computed (0: no source carried it). */
  generation: number;
  /** A Service without selector takes the proxies that declare it: computed from this registry list. */
  workloads?: readonly RegisteredWorkload[];
  byHost: ReadonlyMap<string, Instances>;
}

/** The label a resource's sources are looked up by (see SourceLookup.matching), if it selects any. */
function firstSelectorLabel(r: Backed): [string, string] | undefined {
  const selector = r.kind === 'Service' ? r.spec.selector : r.spec.workloadSelector?.labels;
  return selector === undefined ? undefined : Object.entries(selector)[0];
}

/** A Service with no selector (and no externalName) is backed by the proxies that declare it (see serviceInstances). */
function backedByDeclaration(r: Backed, first: [string, string] | undefined): boolean {
  return r.kind === 'Service' && first === undefined && !(r.spec.type === 'ExternalName' && r.spec.externalName !== undefined);
}

/**
 * Sources (registered workloads and WorkloadEntries) by label, and each Service's and ServiceEntry's instances by
 * host. Source objects and resource objects are compared by identity (the registry and the store hand back the same
 * object for what did not change); a label's generation moves whenever a source carrying it comes or goes, and a
 * resource's instances are recomputed only when its object or its selector label's generation changed. The result
 * equals what a fresh index computes (the property test in endpoint-index.test.ts holds it to that).
 */
export class EndpointIndex implements SourceLookup {
  private readonly origins = new Map<Origin, Tracked>();
  private readonly byLabel = new Map<string, Set<EndpointSource>>();
  private readonly generations = new Map<string, number>();
  private counter = 0;
  private sweep = 0;
  private workloads: readonly RegisteredWorkload[] = [];
  private readonly computed = new WeakMap<Backed, Computed>();
  /** Hosts that more than one resource backs (a Service and a ServiceEntry of one name): their merged list. */
  private merged = new Map<string, { parts: readonly Instances[]; instances: Instances }>();

  /** Brings the sources up to these lists: identity checks for all, work only for what came or went. */
  update(workloads: readonly RegisteredWorkload[], entries: readonly WorkloadEntry[]): void {
    const sweep = ++this.sweep;
    this.workloads = workloads;
    for (const w of workloads) this.track(w, sweep, sourceFromWorkload);
    for (const we of entries) this.track(we, sweep, sourceFromEntry);
    for (const [origin, t] of this.origins) {
      if (t.sweep === sweep) continue;
      this.origins.delete(origin);
      if (t.source !== undefined) this.unindex(t.source);
    }
  }

  /** The sources of `namespace` the selector matches, ordered by source key. */
  matching(namespace: string, selector: Readonly<Record<string, string>>): EndpointSource[] {
    const first = Object.entries(selector)[0];
    if (first === undefined) return [];
    const set = this.byLabel.get(labelKey(namespace, first[0], first[1]));
    if (set === undefined) return [];
    const out: EndpointSource[] = [];
    for (const s of set) if (selectorMatches(selector, s.labels)) out.push(s);
    return out.sort((a, b) => cmp(a.key ?? '', b.key ?? ''));
  }

  /**
   * Instances by host for these Services and ServiceEntries (in this order) plus `extra` ones (declared services),
   * each list sorted by byEndpoint; a list that did not change is the same array object as in the last call.
   */
  instancesByHost(resources: readonly Backed[], extra: readonly InstanceInfo[]): Map<string, Instances> {
    const parts = new Map<string, Instances[]>();
    const add = (host: string, list: Instances): void => {
      const p = parts.get(host);
      if (p === undefined) parts.set(host, [list]);
      else p.push(list);
    };
    for (const r of resources) for (const [host, list] of this.instancesOf(r)) add(host, list);
    for (const [host, list] of groupByHost(extra)) add(host, list);
    const out = new Map<string, Instances>();
    const merged = new Map<string, { parts: readonly Instances[]; instances: Instances }>();
    for (const [host, lists] of parts) {
      if (lists.length === 1) {
        out.set(host, lists[0]!);
        continue;
      }
      let m = this.merged.get(host);
      if (m === undefined || m.parts.length !== lists.length || m.parts.some((l, k) => l !== lists[k])) {
        m = { parts: lists, instances: lists.flat().sort(byEndpoint) };
      }
      merged.set(host, m);
      out.set(host, m.instances);
    }
    this.merged = merged;
    return out;
  }

  private instancesOf(r: Backed): ReadonlyMap<string, Instances> {
    const first = firstSelectorLabel(r);
    const generation = first === undefined ? 0 : this.generations.get(labelKey(r.metadata.namespace, first[0], first[1])) ?? 0;
    const byDeclaration = backedByDeclaration(r, first);
    const c = this.computed.get(r);
    if (c !== undefined && c.generation === generation && (!byDeclaration || c.workloads === this.workloads)) return c.byHost;
    const instances = r.kind === 'Service' ? serviceInstances(r, this, this.workloads) : entryInstances(r, this);
    const next: Computed = { generation, byHost: groupByHost(instances) };
    if (byDeclaration) next.workloads = this.workloads;
    this.computed.set(r, next);
    return next.byHost;
  }

  private track<O extends Origin>(origin: O, sweep: number, source: (o: O) => EndpointSource | undefined): void {
    const t = this.origins.get(origin);
    if (t !== undefined) {
      t.sweep = sweep;
      return;
    }
    const s = source(origin);
    this.origins.set(origin, { source: s, sweep });
    if (s !== undefined) this.index(s);
  }

  private index(s: EndpointSource): void {
    for (const [k, v] of Object.entries(s.labels)) {
      const key = labelKey(s.namespace, k, v);
      let set = this.byLabel.get(key);
      if (set === undefined) this.byLabel.set(key, (set = new Set()));
      set.add(s);
      this.generations.set(key, ++this.counter);
    }
  }

  private unindex(s: EndpointSource): void {
    for (const [k, v] of Object.entries(s.labels)) {
      const key = labelKey(s.namespace, k, v);
      const set = this.byLabel.get(key);
      if (set === undefined) continue;
      set.delete(s);
      // an emptied label forgets its generation: whatever was computed with no source carrying it is right again
      if (set.size === 0) {
        this.byLabel.delete(key);
        this.generations.delete(key);
      } else this.generations.set(key, ++this.counter);
    }
  }
}

function groupByHost(instances: readonly InstanceInfo[]): Map<string, Instances> {
  const out = new Map<string, InstanceInfo[]>();
  for (const i of instances) {
    const list = out.get(i.service);
    if (list === undefined) out.set(i.service, [i]);
    else list.push(i);
  }
  for (const list of out.values()) list.sort(byEndpoint);
  return out;
}
