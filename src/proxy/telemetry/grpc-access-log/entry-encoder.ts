// gRPC access log service: one AccessLogEntry as envoy.data.accesslog.v3.HTTPAccessLogEntry / TCPAccessLogEntry
// protobuf bytes, written by hand (field numbers from accesslog.proto; the tests decode the bytes with the real
// .proto), so logging needs neither protobufjs nor a descriptor walk per request. Only what the proxy knows is
// written: nothing is invented for fields it does not measure (per-byte timings, sample rate, metadata).
import type { AccessLogEntry } from '../access-log.js';
import type { CustomTagConfig } from '../../tracing/types.js';
import type { GrpcAccessLogConfig, GrpcAccessLogKind } from './config.js';
import { ProtoWriter } from './proto-writer.js';

type Headers = AccessLogEntry['requestHeaders'];

type Tag = { tag: string; value: (e: AccessLogEntry) => string | undefined };

export interface EntryOptions {
  kind: GrpcAccessLogKind;
  requestHeaders: readonly string[];
  responseHeaders: readonly string[];
  responseTrailers: readonly string[];
  tags: readonly Tag[];
}

function compileTag(t: CustomTagConfig, env: NodeJS.ProcessEnv): Tag {
  switch (t.kind) {
    case 'literal':
      return { tag: t.tag, value: () => t.value };
    case 'environment': {
      // read once, at config time, as Envoy does
      const v = env[t.name] ?? t.defaultValue;
      return { tag: t.tag, value: () => (v === '' ? undefined : v) };
    }
    case 'request_header': {
      const dflt = t.defaultValue === '' ? undefined : t.defaultValue;
      return { tag: t.tag, value: (e) => headerValue(e, e.requestHeaders, t.name) ?? dflt };
    }
  }
}

export function compileEntryOptions(c: GrpcAccessLogConfig, env: NodeJS.ProcessEnv = process.env): EntryOptions {
  return {
    kind: c.kind,
    requestHeaders: c.additional_request_headers_to_log,
    responseHeaders: c.additional_response_headers_to_log,
    responseTrailers: c.additional_response_trailers_to_log,
    tags: c.common_config.custom_tags.map((t) => compileTag(t, env)),
  };
}

/** All values of a header joined with ',' (Envoy's getAllOfHeaderAsString); request pseudo-headers from the entry. */
function headerValue(e: AccessLogEntry, h: Headers | undefined, name: string): string | undefined {
  const v = h?.[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.join(',');
  if (h !== e.requestHeaders || name.charCodeAt(0) !== 58 /* ':' */) return undefined;
  switch (name) {
    case ':authority':
      return e.authority || undefined;
    case ':path':
      return e.path || undefined;
    case ':method':
      return e.method || undefined;
    default:
      return undefined;
  }
}

/** Sum of name and value lengths (Envoy's HeaderMap::byteSize). */
function headerBytes(h: Headers | undefined): number {
  if (h === undefined) return 0;
  let n = 0;
  for (const k in h) {
    const v = h[k];
    if (typeof v === 'string') n += k.length + v.length;
    else if (Array.isArray(v)) for (const x of v) n += k.length + x.length;
  }
  return n;
}

/** config.core.v3.Address{socket_address} from "ip:port" / "[v6]:port"; nothing for '-' or ''. */
function address(w: ProtoWriter, field: number, hostPort: string | undefined): void {
  if (hostPort === undefined || hostPort === '' || hostPort === '-') return;
  const colon = hostPort.lastIndexOf(':');
  let host = colon > 0 ? hostPort.slice(0, colon) : hostPort;
  const port = colon > 0 ? Number(hostPort.slice(colon + 1)) : NaN;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  w.begin(field);
  w.begin(1); // socket_address
  w.string(2, host);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) w.uintAlways(3, port); // port_value is a oneof member
  w.end();
  w.end();
}

/** Envoy's short response flags → ResponseFlags field numbers (accesslog.proto). */
const FLAG_FIELDS: Readonly<Record<string, number>> = {
  LH: 1, UH: 2, UT: 3, LR: 4, UR: 5, UF: 6, UC: 7, UO: 8, NR: 9, DI: 10, FI: 11, RL: 12,
  // UAEX is field 13, a message (unauthorized_details): handled below
  RLSE: 14, DC: 15, URX: 16, SI: 17, IH: 18, DPE: 19, UMSDR: 20, RFCF: 21, NFCF: 22, DT: 23, UPE: 24, NC: 25, OM: 26, DF: 27, DR: 28,
};
const UAEX_FIELD = 13;
const UNAUTHORIZED_EXTERNAL_SERVICE = 1;

function responseFlags(w: ProtoWriter, flags: string): void {
  if (flags === '' || flags === '-') return;
  const set = flags.split(',');
  // fields in number order, as protobuf writes them
  const nums: number[] = [];
  for (const f of set) {
    const n = f === 'UAEX' ? UAEX_FIELD : FLAG_FIELDS[f];
    if (n !== undefined && !nums.includes(n)) nums.push(n);
  }
  if (nums.length === 0) return;
  nums.sort((a, b) => a - b);
  w.begin(16);
  for (const n of nums) {
    if (n === UAEX_FIELD) {
      w.begin(UAEX_FIELD);
      w.uint(1, UNAUTHORIZED_EXTERNAL_SERVICE);
      w.end();
    } else w.bool(n, true);
  }
  w.end();
}

function certificate(w: ProtoWriter, field: number, uris: readonly string[]): void {
  w.begin(field);
  for (const u of uris) {
    w.begin(1); // subject_alt_name
    w.stringAlways(1, u); // oneof san: uri
    w.end();
  }
  w.end();
}

/** TLSProperties when the entry knows the downstream connection's TLS (SNI, certificates' URI SANs). */
function tlsProperties(w: ProtoWriter, e: AccessLogEntry): void {
  const tls = e.connection?.tls;
  const peer = tls?.peerUriSans ?? [];
  const local = tls?.localUriSans ?? [];
  const sni = tls?.sni ?? e.connection?.requestedServerName ?? '';
  if (peer.length === 0 && local.length === 0 && sni === '') return;
  w.begin(4);
  w.string(3, sni);
  if (local.length > 0) certificate(w, 4, local);
  if (peer.length > 0) certificate(w, 5, peer);
  w.end();
}

const DOWNSTREAM_END = 6; // AccessLogType
const TCP_CONNECTION_END = 3;

function common(w: ProtoWriter, e: AccessLogEntry, o: EntryOptions): void {
  w.begin(1); // common_properties
  address(w, 2, e.downstreamRemoteAddress);
  address(w, 3, e.downstreamLocalAddress);
  tlsProperties(w, e);
  w.timeMs(5, e.startTime);
  address(w, 13, e.upstreamHost);
  address(w, 14, e.upstreamLocalAddress);
  if (e.upstreamCluster !== '-') w.string(15, e.upstreamCluster);
  responseFlags(w, e.responseFlags);
  w.string(18, e.upstreamTransportFailureReason ?? '');
  w.string(19, e.routeName);
  for (const t of o.tags) {
    const v = t.value(e);
    if (v !== undefined) w.mapEntry(22, t.tag, v);
  }
  w.timeMs(23, e.durationMs);
  w.string(25, e.connectionTerminationDetails ?? '');
  w.uint(33, o.kind === 'http' ? DOWNSTREAM_END : TCP_CONNECTION_END);
  w.end();
}

const METHODS: Readonly<Record<string, number>> = { GET: 1, HEAD: 2, POST: 3, PUT: 4, DELETE: 5, CONNECT: 6, OPTIONS: 7, TRACE: 8, PATCH: 9 };
const VERSIONS: Readonly<Record<string, number>> = { 'HTTP/1.0': 1, 'HTTP/1.1': 2, 'HTTP/2': 3, 'HTTP/3': 4 };

function loggedHeaders(w: ProtoWriter, field: number, e: AccessLogEntry, h: Headers | undefined, names: readonly string[]): void {
  for (const n of names) {
    const v = headerValue(e, h, n);
    if (v !== undefined) w.mapEntry(field, n, v);
  }
}

function first(h: Headers, name: string): string {
  const v = h[name];
  return typeof v === 'string' ? v : Array.isArray(v) && v.length > 0 ? v.join(',') : '';
}

function httpEntry(w: ProtoWriter, e: AccessLogEntry, o: EntryOptions): void {
  common(w, e, o);
  w.uint(2, VERSIONS[e.protocol] ?? 0);
  const rq = e.requestHeaders;
  w.begin(3); // request
  w.uint(1, METHODS[e.method] ?? 0);
  w.string(2, first(rq, ':scheme') || first(rq, 'x-forwarded-proto'));
  w.string(3, e.authority);
  w.string(5, e.path);
  w.string(6, first(rq, 'user-agent'));
  w.string(7, first(rq, 'referer'));
  w.string(8, first(rq, 'x-forwarded-for'));
  w.string(9, e.requestId || first(rq, 'x-request-id'));
  w.string(10, first(rq, 'x-envoy-original-path'));
  w.uint(11, headerBytes(rq));
  w.uint(12, e.bytesReceived);
  loggedHeaders(w, 13, e, rq, o.requestHeaders);
  w.end();
  w.begin(4); // response
  if (e.responseCode > 0) {
    w.begin(1); // UInt32Value response_code
    w.uint(1, e.responseCode);
    w.end();
  }
  w.uint(2, headerBytes(e.responseHeaders));
  w.uint(3, e.bytesSent);
  loggedHeaders(w, 4, e, e.responseHeaders, o.responseHeaders);
  loggedHeaders(w, 5, e, e.responseTrailers, o.responseTrailers);
  w.string(6, e.responseCodeDetails ?? '');
  w.end();
}

function tcpEntry(w: ProtoWriter, e: AccessLogEntry, o: EntryOptions): void {
  common(w, e, o);
  w.begin(2); // connection_properties
  w.uint(1, e.bytesReceived);
  w.uint(2, e.bytesSent);
  w.end();
}

const scratch = new ProtoWriter(1024);

/**
 * One `log_entry` item of StreamAccessLogsMessage.{HTTP,TCP}AccessLogEntries (field 1 with its tag and length), ready
 * to be concatenated into a batch; its length is the entry's share of buffer_size_bytes.
 */
export function encodeLogEntryItem(e: AccessLogEntry, o: EntryOptions): Buffer {
  const w = scratch;
  w.reset();
  w.begin(1);
  if (o.kind === 'http') httpEntry(w, e, o);
  else tcpEntry(w, e, o);
  w.end();
  return w.finish();
}
