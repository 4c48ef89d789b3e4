// Runtime: Envoy's layered runtime loader — builds snapshots from static, disk and admin layers and reloads on change.
import path from 'node:path';
import type { LayeredRuntime, RuntimeLayer } from '../config/types.js';
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';
import { entryFromStatic, parseEntry, type RuntimeEntry } from './entry.js';
import { readDiskLayer } from './disk-layer.js';
import { RuntimeSnapshot, type LoadedLayer } from './snapshot.js';
import { SymlinkWatcher } from './symlink-watch.js';

export interface RuntimeOptions {
  /** node.cluster: the directory an append_service_cluster disk layer adds. */
  serviceCluster?: string;
  random?: () => number;
  /** Where runtime.* stats go (load_success, load_error, num_keys, num_layers, admin_overrides_active). */
  stats?: StatsScope;
  /** Poll period for a symlink root that cannot be watched; default 1000 ms. */
  pollMs?: number;
  /** false: poll symlink roots instead of watching them. */
  useFsWatch?: boolean;
  /** false: no watchers at all (a snapshot only changes through reload() or the admin layer). */
  watch?: boolean;
  log?(msg: string): void;
}

/** POST /runtime_modify without an admin layer (Envoy answers 503). */
export class NoAdminLayerError extends Error {
  constructor() {
    super('No admin layer specified');
  }
}

/** What GET /runtime prints, as Envoy does: the active layers, and per key each layer's value and the final one. */
export interface RuntimeDump {
  layers: string[];
  entries: Record<string, { layer_values: string[]; final_value: string }>;
}

/** Without layered_runtime Envoy still takes /runtime_modify overrides: one admin layer. */
const DEFAULT_CONFIG: LayeredRuntime = { layers: [{ name: 'admin', layer_specifier: { kind: 'admin_layer' } }] };

interface RuntimeStats {
  loadSuccess: Counter;
  loadError: Counter;
  numKeys: Gauge;
  numLayers: Gauge;
  adminOverrides: Gauge;
}

export class Runtime {
  readonly config: LayeredRuntime;
  readonly hasAdminLayer: boolean;
  private current: RuntimeSnapshot;
  private readonly staticLayers = new Map<RuntimeLayer, ReadonlyMap<string, RuntimeEntry>>();
  private readonly adminValues = new Map<string, RuntimeEntry>();
  private readonly watchers: SymlinkWatcher[] = [];
  private readonly listeners = new Set<(s: RuntimeSnapshot) => void>();
  private readonly stats: RuntimeStats | undefined;
  private readonly log: (msg: string) => void;

  constructor(
    config: LayeredRuntime | undefined,
    private readonly opts: RuntimeOptions = {},
  ) {
    this.config = config ?? DEFAULT_CONFIG;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.hasAdminLayer = this.config.layers.some((l) => l.layer_specifier.kind === 'admin_layer');
    for (const l of this.config.layers) {
      const spec = l.layer_specifier;
      if (spec.kind === 'static_layer') this.staticLayers.set(l, new Map(Object.entries(spec.values).map(([k, v]) => [k, entryFromStatic(v)])));
    }
    if (opts.stats !== undefined) {
      const s = opts.stats.scope('runtime');
      this.stats = {
        loadSuccess: s.counter('load_success'),
        loadError: s.counter('load_error'),
        numKeys: s.gauge('num_keys'),
        numLayers: s.gauge('num_layers'),
        adminOverrides: s.gauge('admin_overrides_active'),
      };
    }
    this.current = this.build();
    if (opts.watch !== false) this.watchDiskLayers();
  }

  /** The values in force now; hold on to one snapshot for a whole decision (e.g. one request). */
  snapshot(): RuntimeSnapshot {
    return this.current;
  }

  /** Re-reads every layer (disk layers from the file system) into a new snapshot. */
  reload(): void {
    this.current = this.build();
    for (const w of this.watchers) w.noteTarget();
    for (const cb of this.listeners) cb(this.current);
  }

  /** Admin overrides (POST /runtime_modify): an empty value removes the key's override. */
  mergeAdminValues(values: Iterable<readonly [string, string]>): void {
    if (!this.hasAdminLayer) throw new NoAdminLayerError();
    for (const [k, v] of values) {
      if (v === '') this.adminValues.delete(k);
      else this.adminValues.set(k, parseEntry(v));
    }
    this.reload();
  }

  /** The admin layer's overrides as strings (what a new worker process is given). */
  adminOverrides(): [string, string][] {
    return [...this.adminValues].map(([k, e]) => [k, e.raw]);
  }

  onUpdate(cb: (s: RuntimeSnapshot) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  dump(): RuntimeDump {
    const layers = this.current.layers;
    const keys = [...this.current.keys()].sort();
    const entries: RuntimeDump['entries'] = {};
    for (const k of keys) {
      entries[k] = { layer_values: layers.map((l) => l.values.get(k)?.raw ?? ''), final_value: this.current.get(k) ?? '' };
    }
    return { layers: layers.map((l) => l.name), entries };
  }

  /** Stops watching the file system. */
  dispose(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    this.listeners.clear();
  }

  private diskPath(l: { symlink_root: string; subdirectory: string; append_service_cluster: boolean }): string {
    return path.join(l.symlink_root, l.subdirectory, l.append_service_cluster ? (this.opts.serviceCluster ?? '') : '');
  }

  private build(): RuntimeSnapshot {
    const loaded: LoadedLayer[] = [];
    let errors = 0;
    for (const l of this.config.layers) {
      const spec = l.layer_specifier;
      if (spec.kind === 'static_layer') loaded.push({ name: l.name, values: this.staticLayers.get(l)! });
      else if (spec.kind === 'admin_layer') loaded.push({ name: l.name, values: new Map(this.adminValues) });
      else {
        const dir = this.diskPath(spec.disk_layer);
        try {
          const values = readDiskLayer(dir);
          // a missing directory is no error: the layer is simply not there (yet)
          if (values !== undefined) loaded.push({ name: l.name, values });
        } catch (e) {
          errors++;
          this.log(`runtime: layer ${l.name} (${dir}) left out: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    const snap = new RuntimeSnapshot(loaded, this.opts.random);
    if (this.stats !== undefined) {
      (errors === 0 ? this.stats.loadSuccess : this.stats.loadError).inc();
      this.stats.numKeys.set(snap.size);
      this.stats.numLayers.set(loaded.length);
      this.stats.adminOverrides.set(this.adminValues.size > 0 ? 1 : 0);
    }
    return snap;
  }

  private watchDiskLayers(): void {
    const roots = new Set<string>();
    for (const l of this.config.layers) if (l.layer_specifier.kind === 'disk_layer') roots.add(l.layer_specifier.disk_layer.symlink_root);
    // layers sharing a symlink root share one watcher, so one swap is one reload
    for (const root of roots) {
      this.watchers.push(new SymlinkWatcher(root, { onChange: () => this.reload(), pollMs: this.opts.pollMs, useFsWatch: this.opts.useFsWatch }));
    }
  }
}
