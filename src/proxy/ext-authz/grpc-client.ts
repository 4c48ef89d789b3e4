// External authorization (shared): envoy.service.auth.v3.Authorization/Check over GrpcService as one HTTP/2 POST
// through the async client (the cluster's pools speak h2 when it has http2_protocol_options); each filter maps
// the decoded CheckResponse to its own decision.
import type { HeaderMap } from '../router/types.js';
import type { ClusterManager } from '../upstream/types.js';
import type { PoolManager } from '../upstream/pool/pool-manager.js';
import { asyncHttpCall, type AsyncCall, type AsyncFailure, type AsyncResponse } from '../upstream/async-client.js';
import type { CheckAttributes } from './check-attributes.js';
import type { AuthzCodec, CheckResponseView } from './grpc-codec.js';
import { frameGrpcMessage, unframeUnaryGrpc } from './grpc-frame.js';

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';

/** A validated GrpcService with envoy_grpc (see grpc-service-config.ts). */
export interface GrpcServiceTarget {
  cluster_name: string;
  /** :authority of the call; default the cluster name. */
  authority?: string;
  /** ms; 0 = none. */
  timeout: number;
  initial_metadata: { key: string; value: string }[];
  max_receive_message_length?: number;
}

/** The service answered with a CheckResponse (any status), or the call failed before one arrived. */
export type CheckOutcome = { kind: 'response'; response: CheckResponseView } | { kind: 'error'; reason: string };

let codecLoad: Promise<AuthzCodec> | undefined;

/** Starts loading the codec module (and its .proto files) once per process; later calls share the promise. */
export function loadAuthzCodec(): Promise<AuthzCodec> {
  return (codecLoad ??= import('./grpc-codec.js').then((m) => m.authzCodec()));
}

/** Whether any gRPC ext_authz filter has been built in this process (tests: loading stays lazy). */
export function codecLoadStarted(): boolean {
  return codecLoad !== undefined;
}

function header(h: HeaderMap | undefined, name: string): string | undefined {
  const v = h?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** The outcome of one Check call's HTTP exchange (exported for tests). */
export function checkOutcomeFromExchange(codec: AuthzCodec, err: AsyncFailure | null, res: AsyncResponse | undefined): CheckOutcome {
  if (err !== null || res === undefined) return { kind: 'error', reason: `authorization call failed: ${err ?? 'no response'}` };
  if (res.status !== 200) return { kind: 'error', reason: `authorization service answered HTTP ${res.status}` };
  // Trailers normally; a trailers-only reply (an error) carries grpc-status in the headers.
  const status = header(res.trailers, 'grpc-status') ?? header(res.headers, 'grpc-status');
  if (status === undefined) return { kind: 'error', reason: 'authorization reply without grpc-status' };
  if (status !== '0') return { kind: 'error', reason: `authorization call failed with grpc-status ${status}` };
  const msg = unframeUnaryGrpc(res.body);
  if (typeof msg === 'string') return { kind: 'error', reason: msg };
  try {
    return { kind: 'response', response: codec.decodeCheckResponse(msg) };
  } catch (e) {
    return { kind: 'error', reason: `undecodable CheckResponse: ${(e as Error).message}` };
  }
}

export class AuthzGrpcClient {
  private codec: AuthzCodec | undefined;
  private loadError: string | undefined;

  constructor(
    private readonly svc: GrpcServiceTarget,
    private readonly clusters: ClusterManager,
    private readonly pools: PoolManager,
  ) {
    loadAuthzCodec().then(
      (c) => (this.codec = c),
      (e: unknown) => (this.loadError = `cannot load the ext_authz protos: ${(e as Error).message}`),
    );
  }

  /** Sends one Check; `cb` gets exactly one outcome unless the returned call is cancelled first. */
  check(attrs: CheckAttributes, cb: (r: CheckOutcome) => void): AsyncCall {
    const codec = this.codec;
    if (codec !== undefined) return this.send(codec, attrs, cb);
    // First checks after start-up: wait for the codec module.
    let inner: AsyncCall | undefined;
    let cancelled = false;
    loadAuthzCodec().then(
      (c) => {
        if (!cancelled) inner = this.send(c, attrs, cb);
      },
      () => {
        if (!cancelled) cb({ kind: 'error', reason: this.loadError ?? 'cannot load the ext_authz protos' });
      },
    );
    return {
      cancel: () => {
        cancelled = true;
        inner?.cancel();
      },
    };
  }

  private send(codec: AuthzCodec, attrs: CheckAttributes, cb: (r: CheckOutcome) => void): AsyncCall {
    const svc = this.svc;
    let body: Buffer;
    try {
      body = frameGrpcMessage(codec.encodeCheckRequest(attrs));
    } catch (e) {
      queueMicrotask(() => cb({ kind: 'error', reason: `cannot encode CheckRequest: ${(e as Error).message}` }));
      return { cancel: () => {} };
    }
    const headers: HeaderMap = { 'content-type': 'application/grpc', te: 'trailers' };
    if (svc.timeout > 0) headers['grpc-timeout'] = `${Math.ceil(svc.timeout)}m`;
    for (const m of svc.initial_metadata) headers[m.key] = m.value;
    const maxResponseBytes = svc.max_receive_message_length !== undefined ? svc.max_receive_message_length + 5 : undefined;
    return asyncHttpCall(
      this.clusters,
      this.pools,
      svc.cluster_name,
      { method: 'POST', path: CHECK_PATH, authority: svc.authority ?? '', headers, body },
      { timeoutMs: svc.timeout, ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}) },
      (err, res) => cb(checkOutcomeFromExchange(codec, err, res)),
    );
  }
}
