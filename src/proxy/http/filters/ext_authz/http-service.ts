// HTTP filters: ext_authz over HttpService — the check as a plain HTTP request (same method, path_prefix + path,
// allow-listed headers, the buffered body), and the answer read from its status and headers as Envoy does.
import type { HeaderFormatContext, HeaderMap, HeaderMutation } from '../../../router/types.js';
import type { AsyncRequest, AsyncResponse } from '../../../upstream/async-client.js';
import { compileHeaderMutation } from '../../../router/header-mutation.js';
import { HeaderKeyMatcher } from './check-request.js';
import { emptyOk, type AuthzResult, type HeaderPair } from './result.js';
import type { HttpAuthzService } from './types.js';

/** Sent by the service on a 200: request headers to remove, comma-separated. */
export const HEADERS_TO_REMOVE_HEADER = 'x-envoy-auth-headers-to-remove';

/** Connection-level headers: never copied from the client to the check, nor from the service's answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Always sent to an HTTP service besides the configured allowed_headers (Envoy: Host, Method, Path, Authorization). */
const DEFAULT_REQUEST_HEADERS = ['authorization', ':method', ':path', ':authority'];
/** Added to a configured allowed_client_headers list (Envoy). */
const DEFAULT_CLIENT_HEADERS = ['content-length', 'www-authenticate', 'location'];

/** The service's matchers and request edits, compiled once per filter config. */
export class HttpServiceConfig {
  readonly requestHeaders: HeaderKeyMatcher;
  private readonly headersToAdd: HeaderMutation;
  private readonly upstream: HeaderKeyMatcher | undefined;
  private readonly upstreamAppend: HeaderKeyMatcher | undefined;
  /** undefined = every header except host goes to the client on a denial. */
  private readonly client: HeaderKeyMatcher | undefined;
  private readonly clientOnSuccess: HeaderKeyMatcher | undefined;
  private readonly metadata: HeaderKeyMatcher | undefined;

  constructor(
    readonly service: HttpAuthzService,
    /** ExtAuthz.allowed_headers (the newer place of authorization_request.allowed_headers). */
    topAllowed: HttpAuthzService['allowed_headers'],
  ) {
    this.requestHeaders = new HeaderKeyMatcher(service.allowed_headers ?? topAllowed ?? [], DEFAULT_REQUEST_HEADERS);
    this.headersToAdd = compileHeaderMutation(service.headers_to_add, [], '', 'headers_to_add', []);
    const m = (l: HttpAuthzService['allowed_headers'], extra: readonly string[] = []): HeaderKeyMatcher | undefined =>
      l === undefined ? undefined : new HeaderKeyMatcher(l, extra);
    this.upstream = m(service.allowed_upstream_headers);
    this.upstreamAppend = m(service.allowed_upstream_headers_to_append);
    this.client = m(service.allowed_client_headers, DEFAULT_CLIENT_HEADERS);
    this.clientOnSuccess = m(service.allowed_client_headers_on_success);
    this.metadata = m(service.dynamic_metadata_from_headers);
  }

  /** The check request from the (already allow-listed) check header map. */
  request(checkHeaders: Record<string, string>, body: Buffer | undefined, fmt: HeaderFormatContext): AsyncRequest {
    const headers: HeaderMap = {};
    for (const k in checkHeaders) {
      if (k.charCodeAt(0) === 58 /* ':' */ || k === 'content-length' || HOP_BY_HOP.has(k)) continue;
      headers[k] = checkHeaders[k];
    }
    if (!this.headersToAdd.empty) this.headersToAdd.apply(headers, fmt);
    const req: AsyncRequest = {
      method: checkHeaders[':method'] ?? 'GET',
      path: this.service.path_prefix + (checkHeaders[':path'] ?? '/'),
      authority: checkHeaders[':authority'] ?? '',
      headers,
    };
    if (body !== undefined && body.length > 0) req.body = body;
    return req;
  }

  /** 200 = allow, 5xx = error, anything else = deny with that status, body and (allowed) headers. */
  answer(res: AsyncResponse): AuthzResult {
    const status = res.status;
    if (status >= 500) return { kind: 'error', reason: `authorization service answered ${status}` };
    const pairs: HeaderPair[] = [];
    let toRemove: string[] = [];
    for (const k in res.headers) {
      const v = res.headers[k];
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      if (k === HEADERS_TO_REMOVE_HEADER) {
        if (status === 200) for (const s of [v].flat()) toRemove = toRemove.concat(s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== ''));
        continue;
      }
      for (const one of [v].flat()) pairs.push([k, one]);
    }
    const metadata = this.metadataFrom(pairs);
    if (status === 200) {
      const ok = emptyOk();
      ok.headersToRemove.push(...toRemove);
      for (const p of pairs) {
        if (this.upstream?.matches(p[0])) ok.headersToSet.push(p);
        if (this.upstreamAppend?.matches(p[0])) ok.headersToAppend.push(p);
        if (this.clientOnSuccess?.matches(p[0])) ok.responseHeadersToAdd.push(p);
      }
      return metadata === undefined ? ok : { ...ok, dynamicMetadata: metadata };
    }
    const client = this.client;
    const headers = pairs.filter((p) => p[0] !== 'content-length' && (client === undefined ? p[0] !== 'host' : client.matches(p[0])));
    const denied = { kind: 'denied' as const, status: status > 0 ? status : 403, headers, body: res.body.toString('utf8') };
    return metadata === undefined ? denied : { ...denied, dynamicMetadata: metadata };
  }

  private metadataFrom(pairs: readonly HeaderPair[]): Record<string, unknown> | undefined {
    const m = this.metadata;
    if (m === undefined) return undefined;
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of pairs) if (m.matches(k)) (out ??= {})[k] = v;
    return out;
  }
}
