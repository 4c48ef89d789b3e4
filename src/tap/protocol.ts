// Tap (shared by proxy and control plane): the messages of `/trellis.tap.v1.Tap/Stream` (JSON in gRPC frames) and their validating decoders.

export const TAP_STREAM_PATH = '/trellis.tap.v1.Tap/Stream';
/** Hard cap on a session's events per second, whatever the caller asks. */
export const MAX_TAP_RPS = 1000;
export const DEFAULT_TAP_RPS = 100;
/** Largest message either side accepts (a batch of events). */
export const MAX_TAP_MESSAGE_BYTES = 1024 * 1024;

export interface TapMatch {
  pathPrefix?: string;
  method?: string;
  authority?: string;
}

/** Control plane → proxy. */
export type TapDown = { start: { id: string; match: TapMatch; maxRps: number } } | { stop: { id: string } };

export interface TapPeer {
  workload: string;
  namespace: string;
  principal: string;
}

/** One request as the API streams it (the brief's shape); never bodies, never header values. */
export interface TapEvent {
  time: string;
  proxy: string;
  reporter: 'source' | 'destination';
  source: TapPeer;
  destination: TapPeer & { service: string };
  method: string;
  authority: string;
  path: string;
  status: number;
  grpcStatus?: number;
  durationMs: number;
  responseFlags: string;
  mtls: boolean;
}

/** Proxy → control plane: the first message names the node, then batches of one session's events. */
export type TapUp = { node: { id: string } } | { events: { id: string; events: TapEvent[]; dropped: number } };

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, max = 4096): v is string {
  return typeof v === 'string' && v.length <= max;
}

function parseJson(bytes: Buffer): unknown {
  if (bytes.length > MAX_TAP_MESSAGE_BYTES) throw new Error(`tap message of ${bytes.length} bytes exceeds ${MAX_TAP_MESSAGE_BYTES}`);
  return JSON.parse(bytes.toString('utf8')) as unknown;
}

export function encodeTap(msg: TapDown | TapUp): Buffer {
  return Buffer.from(JSON.stringify(msg), 'utf8');
}

function decodeMatch(v: unknown): TapMatch {
  if (!isObj(v)) throw new Error('tap start: match must be an object');
  const m: TapMatch = {};
  for (const k of ['pathPrefix', 'method', 'authority'] as const) {
    const x = v[k];
    if (x === undefined) continue;
    if (!str(x)) throw new Error(`tap start: match.${k} must be a string`);
    m[k] = x;
  }
  return m;
}

/** A control-plane message as the proxy reads it; throws on anything malformed. maxRps is clamped to 1..MAX_TAP_RPS. */
export function decodeTapDown(bytes: Buffer): TapDown {
  const v = parseJson(bytes);
  if (!isObj(v)) throw new Error('tap message must be an object');
  if (isObj(v.start)) {
    const s = v.start;
    if (!str(s.id, 128) || s.id === '') throw new Error('tap start: id must be a non-empty string');
    const rps = typeof s.maxRps === 'number' && Number.isFinite(s.maxRps) ? Math.min(MAX_TAP_RPS, Math.max(1, Math.floor(s.maxRps))) : DEFAULT_TAP_RPS;
    return { start: { id: s.id, match: decodeMatch(s.match ?? {}), maxRps: rps } };
  }
  if (isObj(v.stop)) {
    if (!str(v.stop.id, 128)) throw new Error('tap stop: id must be a string');
    return { stop: { id: v.stop.id } };
  }
  throw new Error('tap message is neither start nor stop');
}

function decodePeer(v: unknown, withService: boolean): TapPeer & { service?: string } {
  if (!isObj(v)) throw new Error('tap event: peer must be an object');
  const out: TapPeer & { service?: string } = { workload: '', namespace: '', principal: '' };
  for (const k of ['workload', 'namespace', 'principal', ...(withService ? ['service'] : [])] as const) {
    const x = v[k];
    if (!str(x)) throw new Error(`tap event: peer ${k} must be a string`);
    (out as unknown as Record<string, string>)[k] = x;
  }
  return out;
}

function decodeEvent(v: unknown): TapEvent {
  if (!isObj(v)) throw new Error('tap event must be an object');
  for (const k of ['time', 'proxy', 'method', 'authority', 'path', 'responseFlags'] as const) if (!str(v[k])) throw new Error(`tap event: ${k} must be a string`);
  if (v.reporter !== 'source' && v.reporter !== 'destination') throw new Error('tap event: reporter must be source or destination');
  if (typeof v.status !== 'number' || typeof v.durationMs !== 'number' || typeof v.mtls !== 'boolean') throw new Error('tap event: status, durationMs, mtls have the wrong types');
  if (v.grpcStatus !== undefined && typeof v.grpcStatus !== 'number') throw new Error('tap event: grpcStatus must be a number');
  const dst = decodePeer(v.destination, true);
  // rebuilt field by field so nothing the proxy added beyond the contract reaches the API
  return {
    time: v.time as string,
    proxy: v.proxy as string,
    reporter: v.reporter,
    source: decodePeer(v.source, false),
    destination: { service: dst.service ?? '', workload: dst.workload, namespace: dst.namespace, principal: dst.principal },
    method: v.method as string,
    authority: v.authority as string,
    path: v.path as string,
    status: v.status,
    ...(v.grpcStatus !== undefined ? { grpcStatus: v.grpcStatus as number } : {}),
    durationMs: v.durationMs,
    responseFlags: v.responseFlags as string,
    mtls: v.mtls,
  };
}

/** A proxy's message as the control plane reads it; throws on anything malformed. */
export function decodeTapUp(bytes: Buffer): TapUp {
  const v = parseJson(bytes);
  if (!isObj(v)) throw new Error('tap message must be an object');
  if (isObj(v.node)) {
    if (!str(v.node.id, 1024)) throw new Error('tap node: id must be a string');
    return { node: { id: v.node.id } };
  }
  if (isObj(v.events)) {
    const e = v.events;
    if (!str(e.id, 128) || !Array.isArray(e.events) || typeof e.dropped !== 'number') throw new Error('tap events: id, events, dropped have the wrong types');
    return { events: { id: e.id, events: e.events.map(decodeEvent), dropped: e.dropped } };
  }
  throw new Error('tap message is neither node nor events');
}
