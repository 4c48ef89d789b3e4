// Telemetry: compiles Envoy access-log command operators (text and JSON formats) into per-entry formatters, once.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { AccessLogEntry } from './access-log.js';
import { compileTimeFormat } from './start-time.js';

/** What one operator extracts: undefined = not set (printed '-' in text, null in JSON). */
type Value = string | number | undefined;
type Extract = (e: AccessLogEntry) => Value;

type Headers = Record<string, string | string[] | undefined>;

function headerValue(h: Headers | undefined, name: string): string | undefined {
  if (h === undefined) return undefined;
  const v = h[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/** Request pseudo-headers come from the entry fields; Node keeps regular header names lower-cased. */
function requestHeader(e: AccessLogEntry, name: string): string | undefined {
  switch (name) {
    case ':path':
      return e.path;
    case ':method':
      return e.method;
    case ':authority':
      return e.authority || headerValue(e.requestHeaders, 'host');
    default:
      return headerValue(e.requestHeaders, name);
  }
}

function responseHeader(e: AccessLogEntry, name: string): string | undefined {
  if (name === ':status') return e.responseCode ? String(e.responseCode) : undefined;
  const v = headerValue(e.responseHeaders, name);
  // The router may suppress the header (suppress_envoy_headers) while the time is still known.
  if (v === undefined && name === 'x-envoy-upstream-service-time' && e.upstreamServiceTimeMs !== undefined) {
    return String(Math.trunc(e.upstreamServiceTimeMs));
  }
  return v;
}

function withoutPort(addr: string): string | undefined {
  if (!addr || addr === '-') return undefined;
  if (addr.startsWith('[')) return addr.slice(1, addr.indexOf(']'));
  const i = addr.lastIndexOf(':');
  return i > 0 && addr.indexOf(':') === i ? addr.slice(0, i) : addr;
}

function portOf(addr: string): number | undefined {
  if (!addr || addr === '-') return undefined;
  const m = /:(\d+)$/.exec(addr);
  return m && (addr.startsWith('[') || addr.indexOf(':') === addr.lastIndexOf(':')) ? Number(m[1]) : undefined;
}

const dash = (s: string | undefined): string | undefined => (s === undefined || s === '' || s === '-' ? undefined : s);

/** Envoy's long response flag names, for %RESPONSE_FLAGS_LONG%. */
const LONG_FLAGS: Record<string, string> = {
  UH: 'NoHealthyUpstream',
  UF: 'UpstreamConnectionFailure',
  UO: 'UpstreamOverflow',
  NR: 'NoRouteFound',
  URX: 'UpstreamRetryLimitExceeded',
  NC: 'NoClusterFound',
  DT: 'DurationTimeout',
  DC: 'DownstreamConnectionTermination',
  LH: 'FailedLocalHealthCheck',
  UT: 'UpstreamRequestTimeout',
  LR: 'LocalReset',
  UR: 'UpstreamRemoteReset',
  UC: 'UpstreamConnectionTermination',
  DI: 'DelayInjected',
  FI: 'FaultInjected',
  RL: 'RateLimited',
  UAEX: 'UnauthorizedExternalService',
  RLSE: 'RateLimitServiceError',
  IH: 'InvalidEnvoyRequestHeaders',
  SI: 'StreamIdleTimeout',
  DPE: 'DownstreamProtocolError',
  UPE: 'UpstreamProtocolError',
  UMSDR: 'UpstreamMaxStreamDurationReached',
  OM: 'OverloadManagerTerminated',
  DF: 'DnsResolutionFailed',
  DO: 'DropOverload',
};

const HOSTNAME = hostname();

/** Operators without an argument. */
const PLAIN: Record<string, Extract> = {
  PROTOCOL: (e) => dash(e.protocol),
  RESPONSE_CODE: (e) => e.responseCode,
  RESPONSE_FLAGS: (e) => dash(e.responseFlags),
  RESPONSE_FLAGS_LONG: (e) => {
    const f = dash(e.responseFlags);
    return f === undefined ? undefined : f.split(',').map((x) => LONG_FLAGS[x] ?? x).join(',');
  },
  BYTES_RECEIVED: (e) => e.bytesReceived,
  BYTES_SENT: (e) => e.bytesSent,
  DURATION: (e) => Math.trunc(e.durationMs),
  UPSTREAM_HOST: (e) => dash(e.upstreamHost),
  UPSTREAM_REMOTE_ADDRESS: (e) => dash(e.upstreamHost),
  UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.upstreamHost),
  UPSTREAM_REMOTE_PORT: (e) => portOf(e.upstreamHost),
  UPSTREAM_CLUSTER: (e) => dash(e.upstreamCluster),
  UPSTREAM_CLUSTER_RAW: (e) => dash(e.upstreamCluster),
  UPSTREAM_TRANSPORT_FAILURE_REASON: (e) => dash(e.upstreamTransportFailureReason),
  CONNECTION_TERMINATION_DETAILS: (e) => dash(e.connectionTerminationDetails),
  DOWNSTREAM_REMOTE_ADDRESS: (e) => dash(e.downstreamRemoteAddress),
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.downstreamRemoteAddress),
  DOWNSTREAM_REMOTE_PORT: (e) => portOf(e.downstreamRemoteAddress),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: (e) => dash(e.downstreamRemoteAddress),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.downstreamRemoteAddress),
  DOWNSTREAM_LOCAL_ADDRESS: (e) => dash(e.downstreamLocalAddress),
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.downstreamLocalAddress),
  DOWNSTREAM_LOCAL_PORT: (e) => portOf(e.downstreamLocalAddress),
  ROUTE_NAME: (e) => dash(e.routeName),
  STREAM_ID: (e) => dash(e.requestId),
  HOSTNAME: () => HOSTNAME,
  // Timings we do not track separately print '-' rather than failing the config.
  REQUEST_DURATION: () => undefined,
  REQUEST_TX_DURATION: () => undefined,
  RESPONSE_DURATION: (e) => (e.upstreamServiceTimeMs === undefined ? undefined : Math.trunc(e.upstreamServiceTimeMs)),
  RESPONSE_TX_DURATION: () => undefined,
  RESPONSE_CODE_DETAILS: (e) => dash(e.responseCodeDetails),
  UPSTREAM_LOCAL_ADDRESS: (e) => dash(e.upstreamLocalAddress),
  UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.upstreamLocalAddress ?? ''),
  UPSTREAM_LOCAL_PORT: (e) => portOf(e.upstreamLocalAddress ?? ''),
  REQUESTED_SERVER_NAME: (e) => dash(e.connection?.tls?.sni ?? e.connection?.requestedServerName),
  DOWNSTREAM_PEER_URI_SAN: (e) => sans(e.connection?.tls?.peerUriSans),
  DOWNSTREAM_PEER_DNS_SAN: (e) => sans(e.connection?.tls?.peerDnsSans),
  DOWNSTREAM_LOCAL_URI_SAN: (e) => sans(e.connection?.tls?.localUriSans),
  DOWNSTREAM_PEER_SUBJECT: (e) => dash(e.connection?.tls?.peerSubject),
  DOWNSTREAM_PEER_FINGERPRINT_256: (e) => {
    const der = e.connection?.tls?.peerCertificate;
    return der === undefined ? undefined : createHash('sha256').update(der).digest('hex');
  },
};

/** Envoy prints several SANs joined by ','. */
function sans(list: readonly string[] | undefined): string | undefined {
  return list === undefined || list.length === 0 ? undefined : list.join(',');
}

/** Parses `X?Y` header arguments (Y is the fallback header) into lower-case names. */
function headerArg(op: string, arg: string | undefined): [string, string | undefined] {
  if (arg === undefined || arg === '') throw new Error(`access log: %${op}% needs a header name, e.g. %${op}(X-REQUEST-ID)%`);
  const [a, b] = arg.split('?');
  return [a.toLowerCase(), b?.toLowerCase()];
}

function compileOperator(op: string, arg: string | undefined): Extract {
  switch (op) {
    case 'REQ':
    case 'REQUEST_HEADER': {
      const [a, b] = headerArg(op, arg);
      return b === undefined ? (e) => requestHeader(e, a) : (e) => requestHeader(e, a) ?? requestHeader(e, b);
    }
    case 'RESP':
    case 'RESPONSE_HEADER': {
      const [a, b] = headerArg(op, arg);
      return b === undefined ? (e) => responseHeader(e, a) : (e) => responseHeader(e, a) ?? responseHeader(e, b);
    }
    case 'TRAILER':
    case 'RESPONSE_TRAILER': {
      const [a, b] = headerArg(op, arg);
      return (e) => headerValue(e.responseTrailers, a) ?? (b === undefined ? undefined : headerValue(e.responseTrailers, b));
    }
    case 'START_TIME': {
      const f = compileTimeFormat(arg ?? '');
      return (e) => f(e.startTime);
    }
    case 'LOCAL_REPLY_BODY':
      return LOCAL_REPLY_BODY;
    case 'ENVIRONMENT': {
      // read once, at config time, as Envoy does
      if (arg === undefined || arg === '') throw new Error('access log: %ENVIRONMENT% needs a variable name, e.g. %ENVIRONMENT(POD_NAME)%');
      const v = process.env[arg];
      return () => dash(v);
    }
  }
  const plain = PLAIN[op];
  if (plain === undefined) throw new Error(`access log: unsupported command operator %${op}%`);
  return plain;
}

/** The body of a local reply, printed as is (an empty body is an empty string, not '-'). */
const LOCAL_REPLY_BODY: Extract = (e) => e.localReplyBody ?? '';

/** One operator occurrence: `%NAME%`, `%NAME(arg)%`, optionally `:maxlen` after the argument. */
const OPERATOR = /%([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?(?::(\d+))?%/y;

type Piece = string | { extract: Extract; maxLen: number | undefined };

function parse(format: string): Piece[] {
  const pieces: Piece[] = [];
  let lit = '';
  let i = 0;
  while (i < format.length) {
    if (format[i] === '%') {
      OPERATOR.lastIndex = i;
      const m = OPERATOR.exec(format);
      if (m !== null) {
        if (lit !== '') pieces.push(lit);
        lit = '';
        pieces.push({ extract: compileOperator(m[1], m[2]), maxLen: m[3] === undefined ? undefined : Number(m[3]) });
        i = OPERATOR.lastIndex;
        continue;
      }
    }
    lit += format[i++];
  }
  if (lit !== '') pieces.push(lit);
  return pieces;
}

function truncate(v: Value, maxLen: number | undefined): Value {
  if (maxLen === undefined || v === undefined) return v;
  const s = String(v);
  return s.length > maxLen ? s.slice(0, maxLen) : v;
}

/** How an unset value prints: '-' in access logs, '' with omit_empty_values (and in header values). */
function render(pieces: readonly Piece[], e: AccessLogEntry, unset: string): string {
  let out = '';
  for (const p of pieces) {
    if (typeof p === 'string') out += p;
    else {
      const v = truncate(p.extract(e), p.maxLen);
      out += v === undefined || (v === '' && p.extract !== LOCAL_REPLY_BODY) ? unset : v;
    }
  }
  return out;
}

export type Formatter = (e: AccessLogEntry) => string;

export interface FormatOptions {
  /** SubstitutionFormatString.omit_empty_values: unset operators print nothing (text) or drop their key (JSON). */
  omitEmpty?: boolean;
}

/** Text format: written exactly as formatted (Envoy adds no newline; the default format ends with one). */
export function compileTextFormat(format: string, opts: FormatOptions = {}): Formatter {
  const pieces = parse(format);
  const unset = opts.omitEmpty === true ? '' : '-';
  return (e) => render(pieces, e, unset);
}

type JsonTemplate = (e: AccessLogEntry) => unknown;

function compileJsonValue(v: unknown, omitEmpty: boolean): JsonTemplate {
  if (typeof v === 'string') {
    const pieces = parse(v);
    const only = pieces.length === 1 ? pieces[0] : undefined;
    if (only !== undefined && typeof only !== 'string') {
      // A value that is one operator keeps its type (numbers stay numbers, unset is null).
      return (e) => {
        const x = truncate(only.extract(e), only.maxLen);
        return x === undefined || (x === '' && only.extract !== LOCAL_REPLY_BODY) ? null : x;
      };
    }
    if (pieces.every((p) => typeof p === 'string')) return () => v;
    const unset = omitEmpty ? '' : '-';
    return (e) => render(pieces, e, unset);
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const fields = Object.entries(v).map(([k, x]) => [k, compileJsonValue(x, omitEmpty)] as const);
    return (e) => {
      const o: Record<string, unknown> = {};
      for (const [k, f] of fields) {
        const x = f(e);
        if (x !== null || !omitEmpty) o[k] = x;
      }
      return o;
    };
  }
  return () => v; // numbers, booleans, arrays: literal
}

/** JSON format: one JSON object per line. */
export function compileJsonFormat(json: Record<string, unknown>, opts: FormatOptions = {}): Formatter {
  const t = compileJsonValue(json, opts.omitEmpty === true);
  return (e) => `${JSON.stringify(t(e))}\n`;
}
