// Tracing: validated config of Envoy's HCM/bootstrap/route `tracing` (providers, sampling, custom tags).

/** envoy.tracers.zipkin (Zipkin v2 JSON over HTTP). */
export interface ZipkinProviderConfig {
  kind: 'zipkin';
  collectorCluster: string;
  collectorEndpoint: string;
  traceId128bit: boolean;
  sharedSpanContext: boolean;
  /** :authority of the export request ('' = the cluster name). */
  collectorHostname: string;
}

/** envoy.tracers.opentelemetry, OTLP/HTTP with JSON encoding. */
export interface OtelProviderConfig {
  kind: 'opentelemetry';
  cluster: string;
  /** Path of http_service.http_uri (`/v1/traces` by default). */
  path: string;
  authority: string;
  timeoutMs: number;
  headers: ReadonlyArray<readonly [string, string]>;
  serviceName: string;
}

export type TracingProviderConfig = ZipkinProviderConfig | OtelProviderConfig;

export type CustomTagConfig = { tag: string } & (
  | { kind: 'literal'; value: string }
  | { kind: 'environment'; name: string; defaultValue: string }
  | { kind: 'request_header'; name: string; defaultValue: string }
);

/** HttpConnectionManager.tracing; sampling values are percents in [0, 100]. */
export interface HcmTracingConfig {
  /** Absent: the bootstrap's `tracing.http` is used; absent there too, no spans are made. */
  provider?: TracingProviderConfig;
  clientSampling: number;
  randomSampling: number;
  overallSampling: number;
  customTags: CustomTagConfig[];
  maxPathTagLength: number;
  verbose: boolean;
  spawnUpstreamSpan: boolean;
}

/** config.route.v3.Tracing: sampling overrides (fractions as percents) and tags. */
export interface RouteTracingConfig {
  clientSampling?: number;
  randomSampling?: number;
  overallSampling?: number;
  customTags: CustomTagConfig[];
}

/** config.route.v3.Decorator: the span's operation name for this route. */
export interface RouteDecorator {
  operation: string;
  propagate: boolean;
}
