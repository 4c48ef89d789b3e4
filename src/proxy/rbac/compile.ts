// RBAC compile stage: permissions and principals compiled once into predicates over one evaluation's attributes.
import type { Errors } from '../router/compile-errors.js';
import { CompiledHeaderMatcher } from '../router/header-matcher.js';
import { CompiledStringMatcher } from '../router/string-matcher.js';
import { cidrContains, compileCidr, ipBytes, type CompiledCidr } from '../listener/cidr.js';
import type { CidrRange } from '../config/types.js';
import type { RbacAttributes } from './attributes.js';
import { compileMetadataMatcher } from './metadata-matcher.js';
import type { PathMatcher, RbacPermission, RbacPrincipal } from './types.js';

const SOURCE = 0;
const DIRECT_REMOTE = 1;
const REMOTE = 2;
const DESTINATION = 3;

/** One evaluation: the attributes, with each address parsed at most once however many rules read it. */
export class EvalContext {
  private readonly ips: (Uint8Array | null | undefined)[] = [undefined, undefined, undefined, undefined];
  constructor(readonly attrs: RbacAttributes) {}

  ip(which: number): Uint8Array | null {
    let b = this.ips[which];
    if (b === undefined) {
      const a = this.attrs;
      const s = which === SOURCE ? a.sourceIp : which === DIRECT_REMOTE ? a.directRemoteIp : which === REMOTE ? a.remoteIp : a.destinationIp;
      b = ipBytes(s);
      this.ips[which] = b;
    }
    return b;
  }
}

export type Predicate = (c: EvalContext) => boolean;

const ALWAYS: Predicate = () => true;

function all(ps: Predicate[]): Predicate {
  return (c) => {
    for (let i = 0; i < ps.length; i++) if (!ps[i]!(c)) return false;
    return true;
  };
}

export function anyOf(ps: Predicate[]): Predicate {
  return (c) => {
    for (let i = 0; i < ps.length; i++) if (ps[i]!(c)) return true;
    return false;
  };
}

function ipIn(cidr: CidrRange, which: number): Predicate {
  // validated: the address parses, so compileCidr cannot fail
  const range: CompiledCidr = compileCidr(cidr)!;
  return (c) => {
    const ip = c.ip(which);
    return ip !== null && cidrContains(range, ip);
  };
}

/** Without a request (network RBAC) the header map is empty, as Envoy's: only absent-header matchers can match. */
function header(m: CompiledHeaderMatcher): Predicate {
  return (c) => {
    const req = c.attrs.request;
    return req === undefined ? m.matchValue(undefined) : m.matchesRequest(req);
  };
}

/** PathMatcher: the :path without query and fragment; no request, no match. */
function urlPath(m: PathMatcher, path: string, errs: Errors): Predicate {
  const s = new CompiledStringMatcher(m.path, `${path}.path`, errs);
  return (c) => {
    const req = c.attrs.request;
    return req !== undefined && s.match(stripQueryAndFragment(req.path));
  };
}

export function stripQueryAndFragment(p: string): string {
  for (let i = 0; i < p.length; i++) {
    const ch = p.charCodeAt(i);
    if (ch === 0x3f /* ? */ || ch === 0x23 /* # */) return p.slice(0, i);
  }
  return p;
}

function metadata(m: Parameters<typeof compileMetadataMatcher>[0], path: string, errs: Errors): Predicate {
  const f = compileMetadataMatcher(m, path, errs);
  return (c) => f(c.attrs.dynamicMetadata);
}

export function compilePermission(p: RbacPermission, path: string, errs: Errors): Predicate {
  if ('and_rules' in p) return all(p.and_rules.rules.map((r, i) => compilePermission(r, `${path}.and_rules.rules[${i}]`, errs)));
  if ('or_rules' in p) return anyOf(p.or_rules.rules.map((r, i) => compilePermission(r, `${path}.or_rules.rules[${i}]`, errs)));
  if ('any' in p) return ALWAYS;
  if ('header' in p) return header(new CompiledHeaderMatcher(p.header, `${path}.header`, errs));
  if ('url_path' in p) return urlPath(p.url_path, `${path}.url_path`, errs);
  if ('destination_ip' in p) return ipIn(p.destination_ip, DESTINATION);
  if ('destination_port' in p) {
    const port = p.destination_port;
    return (c) => c.attrs.destinationPort === port;
  }
  if ('destination_port_range' in p) {
    const { start, end } = p.destination_port_range;
    return (c) => c.attrs.destinationPort >= start && c.attrs.destinationPort < end;
  }
  if ('metadata' in p) return metadata(p.metadata, `${path}.metadata`, errs);
  if ('not_rule' in p) {
    const inner = compilePermission(p.not_rule, `${path}.not_rule`, errs);
    return (c) => !inner(c);
  }
  const sni = new CompiledStringMatcher(p.requested_server_name, `${path}.requested_server_name`, errs);
  return (c) => sni.match(c.attrs.sni ?? '');
}

/**
 * Principal.authenticated: a TLS peer; with principal_name, some URI SAN, else some DNS SAN, else the
 * subject must match (Envoy tries them in that order and accepts the first match).
 */
function authenticated(name: CompiledStringMatcher | undefined): Predicate {
  return (c) => {
    const tls = c.attrs.tls;
    if (tls === undefined) return false;
    if (name === undefined) return true;
    for (const u of tls.peerUriSans) if (name.match(u)) return true;
    for (const d of tls.peerDnsSans ?? []) if (name.match(d)) return true;
    return name.match(tls.peerSubject ?? '');
  };
}

export function compilePrincipal(p: RbacPrincipal, path: string, errs: Errors): Predicate {
  if ('and_ids' in p) return all(p.and_ids.ids.map((r, i) => compilePrincipal(r, `${path}.and_ids.ids[${i}]`, errs)));
  if ('or_ids' in p) return anyOf(p.or_ids.ids.map((r, i) => compilePrincipal(r, `${path}.or_ids.ids[${i}]`, errs)));
  if ('any' in p) return ALWAYS;
  if ('authenticated' in p) {
    const n = p.authenticated.principal_name;
    return authenticated(n === undefined ? undefined : new CompiledStringMatcher(n, `${path}.authenticated.principal_name`, errs));
  }
  if ('source_ip' in p) return ipIn(p.source_ip, SOURCE);
  if ('direct_remote_ip' in p) return ipIn(p.direct_remote_ip, DIRECT_REMOTE);
  if ('remote_ip' in p) return ipIn(p.remote_ip, REMOTE);
  if ('header' in p) return header(new CompiledHeaderMatcher(p.header, `${path}.header`, errs));
  if ('url_path' in p) return urlPath(p.url_path, `${path}.url_path`, errs);
  if ('metadata' in p) return metadata(p.metadata, `${path}.metadata`, errs);
  const inner = compilePrincipal(p.not_id, `${path}.not_id`, errs);
  return (c) => !inner(c);
}
