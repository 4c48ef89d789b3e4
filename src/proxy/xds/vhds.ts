// xDS client: VHDS — virtual hosts of a route configuration sent as resources of their own (delta only), composed with its inline ones into one route table.
import type { ConfigError, Result } from '../../common/result.js';
import type { VirtualHost } from '../config/types.js';
import type { CompiledVhost, RouteTableCompiler } from '../router/route-table.js';
import type { RouteTable } from '../router/types.js';
import type { Json } from '../../xds/codec.js';
import type { CompiledRoutes, ValidatedResource } from './resources.js';
import type { AcceptedResource, TypeState } from './xds-state.js';

/** Envoy's NACK text for a route configuration with `vhds` on a SotW stream. */
export const VHDS_NEEDS_DELTA = "vhds: only 'DELTA_GRPC' is supported as an api_type";

interface VhostLike {
  name: string;
  bytes: Uint8Array;
  value: VirtualHost;
}

interface CacheEntry {
  bytes: Uint8Array;
  compiled: CompiledVhost;
}

/** Compiled VHDS virtual hosts of one route configuration, valid while its compiler (the configuration) is the same. */
interface RcCache {
  compiler: RouteTableCompiler;
  vhosts: Map<string, CacheEntry>;
}

/** A composed table, and what keeping it commits (the compile cache of its route configuration). */
interface Composed {
  table: RouteTable;
  commit(): void;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The route configuration a VHDS resource belongs to: the longest of `rcNames` its name starts with, then '/'. */
export function vhdsOwner(name: string, rcNames: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const rc of rcNames) if (name.startsWith(`${rc}/`) && (best === undefined || rc.length > best.length)) best = rc;
  return best;
}

export class Vhds {
  private readonly caches = new Map<string, RcCache>();
  /** Route configurations whose virtual hosts arrived since they were subscribed: their listeners need not warm any longer. */
  private readonly fetched = new Set<string>();

  constructor(
    private readonly vhosts: TypeState<VirtualHost>,
    private readonly routes: TypeState<CompiledRoutes>,
  ) {}

  /** Every held route configuration with `vhds`: the VHDS subscription (each name a namespace). */
  names(): string[] {
    const out: string[] = [];
    for (const r of this.routes.resources.values()) if (r.value.config.vhds !== undefined) out.push(r.name);
    return out.sort();
  }

  /** The subscription changed: forget what belongs to route configurations no longer in it. */
  retain(names: readonly string[]): void {
    const keep = new Set(names);
    for (const n of [...this.caches.keys()]) if (!keep.has(n)) this.caches.delete(n);
    for (const n of [...this.fetched]) if (!keep.has(n)) this.fetched.delete(n);
    this.vhosts.retain((n) => vhdsOwner(n, names) !== undefined);
  }

  /** A listener using `rc` warms until its first VHDS answer (Envoy registers VHDS with the RDS init target). */
  pending(rc: string): boolean {
    return this.routes.resources.get(rc)?.value.config.vhds !== undefined && !this.fetched.has(rc);
  }

  /** An accepted VHDS response answers every current subscription. */
  markFetched(names: readonly string[]): void {
    for (const n of names) this.fetched.add(n);
  }

  /** Held virtual hosts of `rc`, by resource name order. */
  private heldOf(rc: string, owners: readonly string[]): AcceptedResource<VirtualHost>[] {
    return [...this.vhosts.resources.values()].filter((r) => vhdsOwner(r.name, owners) === rc).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * RDS items with `vhds` get their effective table (inline + held VHDS virtual hosts); errors when their inline
   * domains clash with held ones. Returns the commits to run if the response is accepted.
   */
  composeRoutes(items: ValidatedResource<CompiledRoutes>[]): Result<(() => void)[]> {
    const errors: ConfigError[] = [];
    const commits: (() => void)[] = [];
    const owners = [...new Set([...this.names(), ...items.filter((i) => i.value.config.vhds !== undefined).map((i) => i.name)])];
    for (const it of items) {
      if (it.value.config.vhds === undefined) continue;
      const held = this.routes.resources.get(it.name);
      if (held !== undefined && sameBytes(held.bytes, it.bytes)) continue; // unchanged: the held one, its table and cache stay
      const c = this.compose(it.name, it.value, this.heldOf(it.name, owners), new Set(), true);
      if (!c.ok) {
        errors.push(...c.errors);
        continue;
      }
      it.value = { ...it.value, table: c.value.table };
      commits.push(c.value.commit);
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, value: commits };
  }

  /**
   * A VHDS response (already validated): the items and removals of subscribed route configurations, recomposed into
   * the tables of the route configurations they touch. Errors (a bad route, a domain clash) reject all of it.
   * `apply` then stores it all; it returns the route configurations whose table changed.
   */
  prepare(version: string, items: readonly ValidatedResource<VirtualHost>[], removed: readonly string[]): Result<{ apply(): string[] }> {
    const owners = this.names();
    const wanted = items.filter((i) => vhdsOwner(i.name, owners) !== undefined);
    const gone = new Set(removed);
    const touched = new Set<string>();
    for (const n of [...wanted.map((i) => i.name), ...removed]) {
      const o = vhdsOwner(n, owners);
      if (o !== undefined) touched.add(o);
    }
    const errors: ConfigError[] = [];
    const done: { rc: string; c: Composed; routes: CompiledRoutes }[] = [];
    for (const rc of touched) {
      const routes = this.routes.resources.get(rc)!.value;
      const incoming = wanted.filter((i) => vhdsOwner(i.name, owners) === rc).sort((a, b) => (a.name < b.name ? -1 : 1));
      const replaced = new Set(incoming.map((i) => i.name));
      const kept = this.heldOf(rc, owners).filter((v) => !gone.has(v.name) && !replaced.has(v.name));
      const c = this.compose(rc, routes, [...kept, ...incoming], new Set(replaced));
      if (c.ok) done.push({ rc, c: c.value, routes });
      else errors.push(...c.errors);
    }
    if (errors.length > 0) return { ok: false, errors };
    return {
      ok: true,
      value: {
        apply: () => {
          this.vhosts.accept(version, wanted, { removed: removed.filter((n) => vhdsOwner(n, owners) !== undefined) });
          for (const d of done) {
            d.c.commit();
            this.routes.setValue(d.rc, { ...d.routes, table: d.c.table });
          }
          this.markFetched(owners);
          return done.map((d) => d.rc);
        },
      },
    };
  }

  /**
   * The table of `rc` with `vhosts` (held ones first, then `incoming` names, so a clash blames the newcomer; with
   * `inlineIsNew`, a clash with an inline domain blames the inline one). Only virtual hosts not compiled before for
   * this configuration with the same bytes are compiled.
   */
  private compose(rc: string, routes: CompiledRoutes, vhosts: readonly VhostLike[], incoming: ReadonlySet<string>, inlineIsNew = false): Result<Composed> {
    const old = this.caches.get(rc);
    const cache = old !== undefined && old.compiler === routes.compiler ? old.vhosts : undefined;
    const next = new Map<string, CacheEntry>();
    const errors: ConfigError[] = [];
    const domains = new Map<string, { vhost: string; inlineAt?: string }>();
    routes.config.virtual_hosts.forEach((vh, i) => vh.domains.forEach((d, j) => domains.set(d, { vhost: vh.name, inlineAt: `${rc}.virtual_hosts[${i}].domains[${j}]` })));
    const compiled: CompiledVhost[] = [];
    const order = [...vhosts.filter((v) => !incoming.has(v.name)), ...vhosts.filter((v) => incoming.has(v.name))];
    for (const v of order) {
      v.value.domains.forEach((d, j) => {
        const first = domains.get(d);
        if (first === undefined) domains.set(d, { vhost: v.value.name });
        else if (inlineIsNew && first.inlineAt !== undefined) errors.push({ path: first.inlineAt, message: `domain "${d}" is already used by VHDS virtual host ${v.name}; domains must be unique` });
        else errors.push({ path: `${v.name}.domains[${j}]`, message: `domain "${d}" is already used by virtual host "${first.vhost}"; domains must be unique` });
      });
      const hit = cache?.get(v.name);
      if (hit !== undefined && sameBytes(hit.bytes, v.bytes)) {
        next.set(v.name, hit);
        compiled.push(hit.compiled);
        continue;
      }
      const c = routes.compiler.compileVirtualHost(v.value, v.name);
      if (!c.ok) {
        errors.push(...c.errors);
        continue;
      }
      next.set(v.name, { bytes: v.bytes, compiled: c.value });
      compiled.push(c.value);
    }
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, value: { table: routes.compiler.table(compiled), commit: () => this.caches.set(rc, { compiler: routes.compiler, vhosts: next }) } };
  }

  /** config_dump: a route configuration with its VHDS virtual hosts merged in (so `proxy-config routes` shows them). */
  mergedRaw(rc: string, raw: Json): Json {
    const routes = this.routes.resources.get(rc);
    if (routes?.value.config.vhds === undefined) return raw;
    const extra = this.heldOf(rc, this.names()).map((v) => {
      const rest: Json = { ...v.raw };
      delete rest['@type'];
      return rest;
    });
    const inline = Array.isArray(raw.virtual_hosts) ? (raw.virtual_hosts as Json[]) : [];
    return { ...raw, virtual_hosts: [...inline, ...extra] };
  }
}
