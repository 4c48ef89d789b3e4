// API stage: analyzers for Telemetry — two selector-less ones in a namespace (IST0160), two selecting one workload
// (IST0159), and providers that cannot be served (undefined, or a collector that is no known service: TRL0007).
import type { MeshConfig } from './mesh-config.js';
import { type MeshIndex, selects } from './mesh-index.js';
import { ConflictingTelemetryWorkloadSelectors, MultipleTelemetriesWithoutWorkloadSelectors, TelemetryProviderNotServed, message, type Message } from './messages.js';
import type { Telemetry } from './telemetry-types.js';
import { type MeshResource, resourceRef } from './types.js';

/** Provider names the mesh defines without extensionProviders: Istio's built-in prometheus, accessLogFile's `envoy`, the zipkin address. */
function implicitProviders(mesh: MeshConfig | undefined): string[] {
  const out = ['prometheus'];
  if (mesh?.telemetry.accessLogFile !== undefined) out.push('envoy');
  if (mesh?.telemetry.tracing.zipkinAddress !== undefined) out.push('zipkin');
  return out;
}

function providerProblems(t: Telemetry, idx: MeshIndex, mesh: MeshConfig | undefined): Message[] {
  const out: Message[] = [];
  const ref = resourceRef(t);
  const known = new Set([...implicitProviders(mesh), ...(mesh?.telemetryProviders ?? []).map((p) => p.name)]);
  const sections = [['tracing', t.spec.tracing], ['metrics', t.spec.metrics], ['accessLogging', t.spec.accessLogging]] as const;
  for (const [section, entries] of sections) {
    (entries ?? []).forEach((e, i) => {
      (e.providers ?? []).forEach((p, j) => {
        const at = `spec.${section}[${i}].providers[${j}]`;
        const def = mesh?.telemetryProviders.find((x) => x.name === p.name);
        if (!known.has(p.name)) out.push(message(TelemetryProviderNotServed, ref, `provider "${p.name}" is not defined in the mesh config's extensionProviders: nothing is sent to it`, at));
        else if (def !== undefined && 'service' in def && !idx.hostKnown(def.service)) {
          out.push(message(TelemetryProviderNotServed, ref, `provider "${p.name}": its collector ${def.service} is not in the service registry (add a Service or ServiceEntry): nothing is sent to it`, at));
        } else if (section === 'tracing' && def?.kind === 'opentelemetry' && def.http === undefined) {
          // trellis exports OTLP over HTTP only (translate/tracing.ts leaves a gRPC-only provider out)
          out.push(message(TelemetryProviderNotServed, ref, `provider "${p.name}": OTLP over gRPC is not supported by trellis; set opentelemetry.http (OTLP/HTTP): no spans are sent`, at));
        }
      });
    });
  }
  return out;
}

export function analyzeTelemetries(resources: readonly MeshResource[], idx: MeshIndex, mesh: MeshConfig | undefined): Message[] {
  const all = resources.filter((r): r is Telemetry => r.kind === 'Telemetry');
  const out = all.flatMap((t) => providerProblems(t, idx, mesh));
  const byNs = new Map<string, Telemetry[]>();
  for (const t of all) byNs.set(t.metadata.namespace, [...(byNs.get(t.metadata.namespace) ?? []), t]);
  for (const [ns, list] of byNs) {
    const bare = list.filter((t) => Object.keys(t.spec.selector?.matchLabels ?? {}).length === 0);
    if (bare.length > 1) {
      const names = bare.map((t) => t.metadata.name).join(', ');
      for (const t of bare) out.push(message(MultipleTelemetriesWithoutWorkloadSelectors, resourceRef(t), `The Telemetries ${names} in namespace "${ns}" have no workload selector; only one (the first by name) applies`));
    }
    for (const w of (idx.workloads ?? []).filter((x) => x.namespace === ns)) {
      const hits = list.filter((t) => Object.keys(t.spec.selector?.matchLabels ?? {}).length > 0 && selects(t.spec.selector?.matchLabels, w.labels));
      if (hits.length < 2) continue;
      const names = hits.map((t) => t.metadata.name).join(', ');
      for (const t of hits) out.push(message(ConflictingTelemetryWorkloadSelectors, resourceRef(t), `The Telemetries ${names} in namespace "${ns}" select the same workload ${w.name ?? '?'}; only the first by name applies`, 'spec.selector'));
    }
  }
  return out;
}
