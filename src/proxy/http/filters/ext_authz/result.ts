// HTTP filters: ext_authz — the authorization answer both clients (HTTP and gRPC) reduce to, as Envoy's ExtAuthz::Response.

export type HeaderPair = readonly [name: string, value: string];

export interface AuthzOk {
  readonly kind: 'ok';
  /** Request headers replaced (or added). */
  readonly headersToSet: HeaderPair[];
  /** Request headers appended to an existing value (ignored when the header is absent, as in Envoy). */
  readonly headersToAppend: HeaderPair[];
  readonly headersToRemove: string[];
  /** Response headers: appended, set, added when absent, replaced only when present. */
  readonly responseHeadersToAdd: HeaderPair[];
  readonly responseHeadersToSet: HeaderPair[];
  readonly responseHeadersToAddIfAbsent: HeaderPair[];
  readonly responseHeadersToOverwriteIfExists: HeaderPair[];
  readonly queryParametersToSet: HeaderPair[];
  readonly queryParametersToRemove: string[];
  readonly dynamicMetadata?: Record<string, unknown>;
}

export interface AuthzDenied {
  readonly kind: 'denied';
  readonly status: number;
  /** Headers of the reply to the client (each replaces a header of the same name). */
  readonly headers: HeaderPair[];
  readonly body: string;
  readonly dynamicMetadata?: Record<string, unknown>;
}

export interface AuthzError {
  readonly kind: 'error';
  /** Why, for logs and tests (timeout, connect failure, grpc-status 14, a 503 …). */
  readonly reason: string;
}

export type AuthzResult = AuthzOk | AuthzDenied | AuthzError;

export function emptyOk(): AuthzOk {
  return {
    kind: 'ok',
    headersToSet: [],
    headersToAppend: [],
    headersToRemove: [],
    responseHeadersToAdd: [],
    responseHeadersToSet: [],
    responseHeadersToAddIfAbsent: [],
    responseHeadersToOverwriteIfExists: [],
    queryParametersToSet: [],
    queryParametersToRemove: [],
  };
}

/** Whether the answer changes the request the router will see (Envoy clears the route cache only then). */
export function mutatesRequest(r: AuthzOk): boolean {
  return (
    r.headersToSet.length > 0 ||
    r.headersToAppend.length > 0 ||
    r.headersToRemove.length > 0 ||
    r.queryParametersToSet.length > 0 ||
    r.queryParametersToRemove.length > 0
  );
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An HTTP header name (lower-case token, no pseudo-headers) a service may set on the request or response. */
export function validHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/** A field value without CR, LF or NUL: anything else could split headers on an HTTP/1 connection. */
export function validHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return false;
  }
  return true;
}

export function validPair(p: HeaderPair): boolean {
  return validHeaderName(p[0]) && validHeaderValue(p[1]);
}

/** Every header name and value the answer would write, valid? (validate_mutations; invalid ones are otherwise dropped.) */
export function answerIsValid(r: AuthzOk | AuthzDenied): boolean {
  if (r.kind === 'denied') return r.headers.every(validPair);
  const lists = [r.headersToSet, r.headersToAppend, r.responseHeadersToAdd, r.responseHeadersToSet, r.responseHeadersToAddIfAbsent, r.responseHeadersToOverwriteIfExists];
  return lists.every((l) => l.every(validPair)) && r.queryParametersToSet.every(([k, v]) => validQueryPart(k) && validQueryPart(v));
}

/** A query key or value already URL-encoded (no raw spaces, '&', '#', '=' in keys, or controls). */
function validQueryPart(s: string): boolean {
  return /^[A-Za-z0-9\-._~%!$'()*+,;:@/?=]*$/.test(s);
}
