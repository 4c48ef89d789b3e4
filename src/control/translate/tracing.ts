// Translate stage: the HCM `tracing` of a proxy's listener, from the resolved Telemetry (Istio's providers, sampling,
// custom tags) — zipkin and OpenTelemetry (OTLP/HTTP) to the provider's `outbound|<port>||<FQDN>` cluster.
import { fqdn } from '../../api/hosts.js';
import type { CollectorRef, CustomTag, TracingProvider } from '../../api/telemetry-types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { TYPE_PREFIX, type Json } from './generator.js';
import { outboundClusterName } from './names.js';
import { visibleServices } from './scope.js';
import { resolveTelemetry, type TelemetryMode } from './telemetry.js';

const TYPE = 'type.googleapis.com/envoy.config.trace.v3.';

/** A provider's collector cluster (tracing, gRPC access logs), or why the proxy cannot reach it (then it is left out). */
export function collectorCluster(p: CollectorRef, proxy: ProxyNode, snap: Snapshot): { cluster: string; host: string } | { error: string } {
  // `ns/host` or a host (short names resolve in the proxy's namespace, as Istio's provider lookup does)
  const slash = p.service.indexOf('/');
  const host = slash < 0 ? fqdn(p.service, proxy.namespace, snap.index.namespaces) : fqdn(p.service.slice(slash + 1), p.service.slice(0, slash), snap.index.namespaces);
  const svc = visibleServices(proxy, snap).find((s) => s.hostname === host);
  if (svc === undefined) return { error: `provider "${p.name}": service ${p.service} is not a registered service or ServiceEntry visible to ${proxy.id}` };
  if (!svc.ports.some((x) => x.port === p.port)) return { error: `provider "${p.name}": service ${host} has no port ${p.port}` };
  return { cluster: outboundClusterName(p.port, '', host), host };
}

function providerConfig(p: TracingProvider, cluster: string, host: string, proxy: ProxyNode): Json | { error: string } {
  if (p.kind === 'zipkin') {
    return {
      name: 'envoy.tracers.zipkin',
      typed_config: {
        '@type': `${TYPE}ZipkinConfig`,
        collector_cluster: cluster,
        collector_endpoint: p.path,
        collector_endpoint_version: 'HTTP_JSON',
        collector_hostname: host,
        trace_id_128bit: !p.enable64bitTraceId,
        shared_span_context: false, // Istio's choice: client and server spans each have their own id
      },
    };
  }
  if (p.http === undefined) return { error: `tracing provider "${p.name}": OTLP over gRPC is not supported by trellis; set opentelemetry.http (OTLP/HTTP)` };
  return {
    name: 'envoy.tracers.opentelemetry',
    typed_config: {
      '@type': `${TYPE}OpenTelemetryConfig`,
      http_service: {
        http_uri: { uri: `http://${host}:${p.port}${p.http.path}`, cluster, timeout: `${p.http.timeoutMs / 1000}s` },
        request_headers_to_add: Object.entries(p.http.headers).map(([key, value]) => ({ header: { key, value } })),
      },
      service_name: `${canonicalService(proxy)}.${proxy.namespace}`,
    },
  };
}

function canonicalService(proxy: ProxyNode): string {
  return proxy.labels['service.istio.io/canonical-name'] ?? proxy.labels.app ?? proxy.workloadName;
}

function customTag(tag: string, t: CustomTag): Json {
  if ('literal' in t) return { tag, literal: { value: t.literal.value } };
  if ('environment' in t) return { tag, environment: { name: t.environment.name, default_value: t.environment.defaultValue ?? '' } };
  return { tag, request_header: { name: t.header.name, default_value: t.header.defaultValue ?? '' } };
}

/** HCM `tracing` for `mode`, or undefined (no tracing, span reporting disabled, or a provider it cannot reach). */
export function hcmTracing(proxy: ProxyNode, snap: Snapshot, mode: TelemetryMode): Json | undefined {
  const t = resolveTelemetry(snap, proxy).tracing(mode);
  if (t === undefined || t.disableSpanReporting) return undefined;
  const c = collectorCluster(t.provider, proxy, snap);
  if ('error' in c) return undefined;
  const provider = providerConfig(t.provider, c.cluster, c.host, proxy);
  if ('error' in provider) return undefined;
  const istioTags: Record<string, string> = {
    'istio.canonical_service': canonicalService(proxy),
    'istio.canonical_revision': proxy.labels['service.istio.io/canonical-revision'] ?? proxy.labels.version ?? 'latest',
    'istio.namespace': proxy.namespace,
  };
  return {
    provider,
    random_sampling: { value: Math.min(100, Math.max(0, t.samplingPercent)) },
    max_path_tag_length: t.provider.maxTagLength,
    custom_tags: [
      ...Object.entries(istioTags).map(([tag, value]) => ({ tag, literal: { value } })),
      ...Object.entries(t.customTags).map(([tag, v]) => customTag(tag, v)),
    ],
  };
}

/** Adds `tracing` to an HCM config when the proxy traces in `mode`. */
export function withTracing(hcmConfig: Json, proxy: ProxyNode, snap: Snapshot, mode: TelemetryMode): Json {
  const tracing = hcmTracing(proxy, snap, mode);
  if (tracing === undefined) return hcmConfig;
  hcmConfig.tracing = tracing;
  // Telemetry useRequestIdForTraceSampling: false → x-request-id no longer decides sampling (Istio's translation)
  if (resolveTelemetry(snap, proxy).tracing(mode)?.useRequestIdForTraceSampling === false) {
    hcmConfig.request_id_extension = { typed_config: { '@type': `${TYPE_PREFIX}envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig`, use_request_id_for_trace_sampling: false } };
  }
  return hcmConfig;
}
