// HTTP filters: envoy.filters.http.header_to_metadata — request (and response) header or cookie values written to
// dynamic metadata by rules, optionally rewritten, decoded, typed and removed.
import type { HttpFilterConfig } from '../../../config/types.js';
import type { HeaderMap, RouteRequest } from '../../../router/types.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead } from '../../filter/api.js';
import type { Re2 } from '../../../../common/re2.js';
import type { Rewrite } from '../../../../common/re2-rewrite.js';
import { compileRegex, compileRewrite } from '../../../router/regex.js';
import { SRC_HEADER, headerSource, joinedHeader, requestValue } from '../../../router/header-value.js';
import { cookieValue } from '../../../router/hash-policy.js';
import type { JsonValue } from './protobuf-value.js';
import { metadataValue } from './value.js';
import { DEFAULT_NAMESPACE, HEADER_TO_METADATA_TYPE, type HeaderToMetadataConfig, type KeyValuePair, type MetadataRule } from './config.js';

interface CompiledPair {
  readonly pair: KeyValuePair;
  readonly namespace: string;
  readonly rewrite: { re: Re2; sub: Rewrite } | undefined;
}

interface CompiledRule {
  readonly rule: MetadataRule;
  readonly present: CompiledPair | undefined;
  readonly missing: CompiledPair | undefined;
}

function compilePair(p: KeyValuePair | undefined): CompiledPair | undefined {
  if (p === undefined) return undefined;
  let rewrite: CompiledPair['rewrite'];
  const rr = p.regex_value_rewrite;
  if (rr !== undefined) {
    // validated with the config, so no errors here
    const re = compileRegex(rr.pattern, '', []);
    rewrite = { re, sub: compileRewrite(rr.substitution, re, '', []) };
  }
  return { pair: p, namespace: p.metadata_namespace === '' ? DEFAULT_NAMESPACE : p.metadata_namespace, rewrite };
}

class CompiledConfig {
  readonly request: readonly CompiledRule[];
  readonly response: readonly CompiledRule[];
  constructor(c: HeaderToMetadataConfig) {
    const compile = (r: MetadataRule): CompiledRule => ({ rule: r, present: compilePair(r.on_header_present), missing: compilePair(r.on_header_missing) });
    this.request = c.request_rules.map(compile);
    this.response = c.response_rules.map(compile);
  }
}

/**
 * The rule's header (all values joined with ',') or cookie; an empty cookie counts as absent. A request's
 * pseudo-headers (:path, :method, :authority, :scheme) come from the request line. Removes the header if asked.
 */
function extract(rule: MetadataRule, headers: HeaderMap, request: RouteRequest | undefined): string | undefined {
  if (rule.cookie !== undefined) {
    const v = cookieValue(headers, rule.cookie);
    return v === '' ? undefined : v;
  }
  const name = rule.header!;
  if (name.startsWith(':')) {
    const src = headerSource(name);
    return request === undefined || src === SRC_HEADER ? undefined : requestValue(request, src, name);
  }
  const v = joinedHeader(headers, name);
  if (v !== undefined && rule.remove) delete headers[name];
  return v;
}

/** Applies `rules` to `headers`; returns what to write, by namespace (undefined when nothing matched). */
export function applyRules(rules: readonly CompiledRule[], headers: HeaderMap, request?: RouteRequest): Map<string, Record<string, JsonValue>> | undefined {
  let out: Map<string, Record<string, JsonValue>> | undefined;
  for (const r of rules) {
    const header = extract(r.rule, headers, request);
    const p = header !== undefined ? r.present : r.missing;
    if (p === undefined) continue;
    let value = p.pair.value;
    if (value === '' && header !== undefined) value = p.rewrite === undefined ? header : p.rewrite.re.replaceAll(header, p.rewrite.sub);
    if (value === '') continue; // nothing to add
    const v = metadataValue(value, p.pair.type, p.pair.encode);
    if (v === undefined) continue;
    out ??= new Map();
    let ns = out.get(p.namespace);
    if (ns === undefined) out.set(p.namespace, (ns = {}));
    Object.defineProperty(ns, p.pair.key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function headerToMetadataFilterFactory(config: HeaderToMetadataConfig): HttpFilterFactory {
  const base = new CompiledConfig(config);
  const perRoute = new WeakMap<HeaderToMetadataConfig, CompiledConfig>();
  const configFor = (cfg: HttpFilterConfig | undefined): CompiledConfig => {
    if (cfg === undefined || cfg['@type'] !== HEADER_TO_METADATA_TYPE) return base;
    const c = cfg as HeaderToMetadataConfig;
    let compiled = perRoute.get(c);
    if (compiled === undefined) perRoute.set(c, (compiled = new CompiledConfig(c)));
    return compiled;
  };
  return (cb) => new HeaderToMetadataFilter(configFor, cb);
}

class HeaderToMetadataFilter implements HttpFilter {
  /** Chosen once (at the request's headers) and kept for the response, as Envoy caches it. */
  private config: CompiledConfig | undefined;

  constructor(
    private readonly configFor: (cfg: HttpFilterConfig | undefined) => CompiledConfig,
    private readonly cb: FilterCallbacks,
  ) {}

  private effective(): CompiledConfig {
    return (this.config ??= this.configFor(this.cb.perRouteConfig<HttpFilterConfig>()));
  }

  private write(rules: readonly CompiledRule[], headers: HeaderMap, request?: RouteRequest): void {
    if (rules.length === 0) return;
    const md = applyRules(rules, headers, request);
    if (md !== undefined) for (const [ns, values] of md) this.cb.setDynamicMetadata(ns, values);
  }

  decodeHeaders(req: RequestHead): HeadersStatus {
    this.write(this.effective().request, req.headers, req);
    return 'continue';
  }

  encodeHeaders(res: ResponseHead): HeadersStatus {
    this.write(this.effective().response, res.headers);
    return 'continue';
  }
}
