// Translate stage: an Istio HTTPMatchRequest → Envoy RouteMatch, and which match blocks apply to a given proxy/port/gateway.
import type { HTTPMatchRequest, StringMatch } from '../../api/types.js';
import type { ProxyNode } from '../model/types.js';
import type { Json } from './generator.js';
import { gatewayRef } from './lookup.js';
import { labelsMatch } from './scope.js';

/** StringMatch → type.matcher.v3.StringMatcher; undefined for the empty match `{}` (Istio: "present"). */
function stringMatcher(m: StringMatch): Json | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return undefined;
}

function headerMatcher(name: string, m: StringMatch, invert: boolean): Json {
  const sm = stringMatcher(m);
  const out: Json = sm !== undefined ? { name: name.toLowerCase(), string_match: sm } : { name: name.toLowerCase(), present_match: true };
  if (invert) out.invert_match = true;
  return out;
}

/** Istio's conditions that narrow which proxies a match block applies to (not request properties). */
export interface MatchScope {
  proxy: ProxyNode;
  /** 'mesh' for sidecars and proxyless, 'ns/name' for a gateway. */
  gateway: string;
  vsNamespace: string;
  /** The service or gateway port being routed, when known. */
  port: number | undefined;
}

export function matchApplies(m: HTTPMatchRequest, s: MatchScope): boolean {
  if (m.port !== undefined && s.port !== undefined && m.port !== s.port) return false;
  if (m.sourceLabels !== undefined && (s.proxy.type === 'router' || !labelsMatch(m.sourceLabels, s.proxy.labels))) return false;
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== s.proxy.namespace) return false;
  if (m.gateways !== undefined && m.gateways.length > 0 && !m.gateways.some((g) => gatewayRef(g, s.vsNamespace) === s.gateway)) return false;
  return true;
}

/** No request condition at all (or `uri: {prefix: /}`): every later route is unreachable. */
export function isCatchAll(m: HTTPMatchRequest | undefined): boolean {
  if (m === undefined) return true;
  const uriAll = m.uri === undefined || m.uri.prefix === '/' || (m.uri.regex === '.*' && m.uri.exact === undefined);
  const none = (r: Record<string, StringMatch> | undefined): boolean => r === undefined || Object.keys(r).length === 0;
  return uriAll && m.scheme === undefined && m.method === undefined && m.authority === undefined && none(m.headers) && none(m.queryParams) && none(m.withoutHeaders);
}

/** Conditions of one match block ANDed into one RouteMatch. */
export function routeMatch(m: HTTPMatchRequest | undefined): Json {
  const out: Json = {};
  const uri = m?.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.prefix !== undefined) out.prefix = uri.prefix;
  else if (uri?.regex !== undefined) out.safe_regex = { regex: uri.regex };
  else out.prefix = '/';
  if (m === undefined) return out;
  if (m.ignoreUriCase === true) out.case_sensitive = false;
  const headers: Json[] = [];
  for (const name of Object.keys(m.headers ?? {}).sort()) headers.push(headerMatcher(name, m.headers?.[name] ?? {}, false));
  for (const name of Object.keys(m.withoutHeaders ?? {}).sort()) headers.push(headerMatcher(name, m.withoutHeaders?.[name] ?? {}, true));
  if (m.method !== undefined) headers.push(headerMatcher(':method', m.method, false));
  if (m.authority !== undefined) headers.push(headerMatcher(':authority', m.authority, false));
  if (m.scheme !== undefined) headers.push(headerMatcher(':scheme', m.scheme, false));
  if (headers.length > 0) out.headers = headers;
  const qp: Json[] = [];
  for (const name of Object.keys(m.queryParams ?? {}).sort()) {
    const sm = stringMatcher(m.queryParams?.[name] ?? {});
    qp.push(sm !== undefined ? { name, string_match: sm } : { name, present_match: true });
  }
  if (qp.length > 0) out.query_parameters = qp;
  return out;
}
