// Benchmark: the telemetry benchmarks' mesh config — the echo Service and one Telemetry per mode (off, metrics, logs).
import type { BenchMesh } from './bench-mesh.js';

export const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: bench}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
`;

export const ECHO_HOST = 'echo.bench:8080';

/**
 * The same echo as an opaque TCP service, reached through a Sidecar egress TCP listener on `egressPort` of the client:
 * both sidecars run tcp_proxy with Istio's metadata exchange, and istio.stats on TCP when metrics are on.
 */
export const tcpService = (egressPort: number): string => `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: bench}
spec:
  selector: {app: echo}
  ports: [{name: tcp, port: 8080, protocol: TCP}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client, namespace: bench}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: ${egressPort}, protocol: TCP, name: tcp-echo}
    hosts: ["./echo.bench.svc.cluster.local"]
`;

const telemetry = (spec: string): string => `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: bench, namespace: bench}
spec: ${spec}
`;

/** off: a Telemetry disabling every metric (no istio.stats filter); metrics: Istio's defaults (no Telemetry). */
export const MODES = {
  off: telemetry('{metrics: [{overrides: [{match: {metric: ALL_METRICS}, disabled: true}]}]}'),
  metrics: undefined,
  'metrics+logs': telemetry('{accessLogging: [{providers: [{name: file-log}]}]}'),
} as const;
export type Mode = keyof typeof MODES;

export function isMode(m: string): m is Mode {
  return Object.hasOwn(MODES, m);
}

/** Makes `mode` the mesh's telemetry (the push to the sidecars is not awaited here). */
export async function applyMode(mesh: BenchMesh, mode: Mode): Promise<void> {
  const text = MODES[mode];
  if (text === undefined) await mesh.remove(['Telemetry/bench/bench']).catch(() => undefined);
  else await mesh.apply(text);
}
