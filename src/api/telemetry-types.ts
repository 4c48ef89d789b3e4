// API stage: the telemetry.istio.io Telemetry kind and MeshConfig's observability providers, as translation reads them.
import type { Resource } from './types.js';

/** A collector the mesh sends to: `service` as written (FQDN, or `ns/host`), translated to `outbound|port||FQDN`. */
export interface CollectorRef {
  name: string;
  service: string;
  port: number;
}

export interface ZipkinProvider extends CollectorRef {
  kind: 'zipkin';
  /** Istio's default 256. */
  maxTagLength: number;
  enable64bitTraceId: boolean;
  /** Istio's default /api/v2/spans. */
  path: string;
}

export interface OpenTelemetryProvider extends CollectorRef {
  kind: 'opentelemetry';
  maxTagLength: number;
  /** OTLP/HTTP; absent = OTLP/gRPC (Istio's default). */
  http?: { path: string; timeoutMs: number; headers: Readonly<Record<string, string>> };
  grpc?: { timeoutMs: number; initialMetadata: Readonly<Record<string, string>> };
}

export type TracingProvider = ZipkinProvider | OpenTelemetryProvider;

/** Istio's envoyFileAccessLog; `format` absent = Istio's default format (JSON when `encoding` says so, else text). */
export interface FileAccessLogProvider {
  name: string;
  kind: 'envoyFileAccessLog';
  path: string;
  format?: { text?: string; labels?: Readonly<Record<string, unknown>> };
  /** Only from the mesh's accessLogEncoding (the implicit provider of accessLogFile). */
  encoding?: 'TEXT' | 'JSON';
}

export interface GrpcAccessLogProvider extends CollectorRef {
  kind: 'envoyHttpAls' | 'envoyTcpAls';
  logName: string;
  additionalRequestHeadersToLog: readonly string[];
  additionalResponseHeadersToLog: readonly string[];
  additionalResponseTrailersToLog: readonly string[];
  filterStateObjectsToLog: readonly string[];
}

export interface OtelAccessLogProvider extends CollectorRef {
  kind: 'envoyOtelAls';
  logName: string;
  format?: { text?: string; labels?: Readonly<Record<string, unknown>> };
}

export type AccessLogProvider = FileAccessLogProvider | GrpcAccessLogProvider | OtelAccessLogProvider;

export interface PrometheusProvider {
  name: string;
  kind: 'prometheus';
}

export type TelemetryProvider = TracingProvider | AccessLogProvider | PrometheusProvider;

// ───────── Telemetry spec (telemetry.istio.io v1 / v1alpha1) ─────────

export type WorkloadMode = 'CLIENT' | 'SERVER' | 'CLIENT_AND_SERVER';

export type CustomTag =
  | { literal: { value: string } }
  | { environment: { name: string; defaultValue?: string } }
  | { header: { name: string; defaultValue?: string } };

export const ISTIO_METRICS = [
  'ALL_METRICS', 'REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE', 'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS', 'TCP_SENT_BYTES', 'TCP_RECEIVED_BYTES', 'GRPC_REQUEST_MESSAGES', 'GRPC_RESPONSE_MESSAGES',
] as const;
export type IstioMetric = (typeof ISTIO_METRICS)[number];

export interface MetricOverride {
  metric: IstioMetric | { custom: string };
  mode: WorkloadMode;
  disabled?: boolean;
  /** Tag name → REMOVE, or UPSERT with a CEL value expression as written. */
  tagOverrides: Readonly<Record<string, { operation: 'UPSERT' | 'REMOVE'; value?: string }>>;
}

export interface ProviderRef {
  name: string;
}

export interface TelemetryTracing {
  match?: { mode?: WorkloadMode };
  providers?: ProviderRef[];
  randomSamplingPercentage?: number;
  disableSpanReporting?: boolean;
  customTags?: Record<string, CustomTag>;
  useRequestIdForTraceSampling?: boolean;
}

export interface TelemetryMetricsSpec {
  providers?: ProviderRef[];
  overrides?: { match?: { metric?: IstioMetric; customMetric?: string; mode?: WorkloadMode }; disabled?: boolean; tagOverrides?: Record<string, { operation?: 'UPSERT' | 'REMOVE'; value?: string }> }[];
  reportingInterval?: string;
}

export interface TelemetryAccessLogging {
  match?: { mode?: WorkloadMode };
  providers?: ProviderRef[];
  disabled?: boolean;
  filter?: { expression?: string };
}

export interface TelemetrySpec {
  /** Workloads of the resource's namespace; absent = the namespace (the mesh, in the root namespace). */
  selector?: { matchLabels?: Record<string, string> };
  tracing?: TelemetryTracing[];
  metrics?: TelemetryMetricsSpec[];
  accessLogging?: TelemetryAccessLogging[];
}

export type Telemetry = Resource<'Telemetry', TelemetrySpec>;
