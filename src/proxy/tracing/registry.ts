// Tracing: the proxy's tracers — one exporter per collector, shared by every HCM that names it; closed on stop.
import type { HttpConnectionManager } from '../config/types.js';
import { SpanExporter, type ExporterDeps } from './exporter.js';
import { HcmTracer, type TracerNode } from './tracer.js';
import type { TracingProviderConfig } from './types.js';

export class TracingRegistry {
  private readonly exporters = new Map<string, SpanExporter>();

  constructor(
    private readonly deps: Omit<ExporterDeps, 'localService'>,
    private readonly node: TracerNode,
    /** Bootstrap `tracing.http`. */
    private readonly defaultProvider: TracingProviderConfig | undefined,
    private readonly random: () => number = Math.random,
  ) {}

  /** The HCM's tracer, or null when it has no `tracing` or no provider (then requests carry no spans). */
  forHcm(hcm: HttpConnectionManager, direction: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND', hcmStats: ExporterDeps['stats']): HcmTracer | null {
    const cfg = hcm.tracing;
    const provider = cfg?.provider ?? this.defaultProvider;
    if (cfg === undefined || provider === undefined) return null;
    const key = JSON.stringify(provider);
    let exporter = this.exporters.get(key);
    if (exporter === undefined) {
      exporter = new SpanExporter(provider, { ...this.deps, localService: this.node.cluster });
      this.exporters.set(key, exporter);
    }
    const rid = hcm.request_id_extension;
    return new HcmTracer(cfg, provider, exporter, direction, this.node, hcmStats, this.random, rid?.use_request_id_for_trace_sampling ?? true, rid?.pack_trace_reason ?? true);
  }

  async close(): Promise<void> {
    await Promise.all([...this.exporters.values()].map((e) => e.close()));
  }
}
