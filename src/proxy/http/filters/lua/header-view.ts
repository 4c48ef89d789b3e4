// HTTP filters (Lua): the header object API over trellis's header maps — Envoy's view, where the request's method,
// path, authority and scheme (and the response's status) are pseudo-headers, repeated headers are separate values.
import type { HeaderMap } from '../../../router/types.js';
import type { RequestHead, ResponseHead } from '../../filter/api.js';

/** Pseudo-headers a view exposes besides its map, in the order Envoy lists them. */
interface Pseudo {
  readonly names: readonly string[];
  get(name: string): string | undefined;
  /** Returns an error message when the pseudo-header cannot take this value. */
  set(name: string, value: string): string | undefined;
}

/** RFC 9110 token characters: what a header name may contain. */
function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
      c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
    if (!ok) return false;
  }
  return true;
}

/** A field value: no CR, LF, NUL or other controls but tab (they would split or corrupt an HTTP/1 message). */
function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

function valuesOf(v: string | string[] | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

export class HeaderView {
  constructor(
    private readonly map: HeaderMap,
    private readonly pseudo?: Pseudo,
  ) {}

  /** A request's headers: :method, :path, :authority (also "host") and :scheme read and write the stream. */
  static request(req: RequestHead): HeaderView {
    return new HeaderView(req.headers, {
      names: [':authority', ':path', ':method', ':scheme'],
      get: (n) => (n === ':authority' ? req.authority : n === ':path' ? req.path : n === ':method' ? req.method : n === ':scheme' ? req.scheme : undefined),
      set: (n, v) => {
        if (n === ':authority') req.authority = v;
        else if (n === ':path') {
          if (v === '' || (v.charCodeAt(0) !== 47 && v !== '*')) return `invalid :path "${v}"`;
          req.path = v;
        } else if (n === ':method') {
          if (!isToken(v)) return `invalid :method "${v}"`;
          req.method = v;
        } else return `${n} cannot be changed`;
        return undefined;
      },
    });
  }

  /** A response's headers: :status reads and writes the status code. */
  static response(res: ResponseHead): HeaderView {
    return new HeaderView(res.headers, {
      names: [':status'],
      get: () => String(res.status),
      set: (_n, v) => {
        const code = /^[1-5][0-9][0-9]$/.test(v) ? Number(v) : NaN;
        if (Number.isNaN(code)) return `invalid :status "${v}"`;
        res.status = code;
        return undefined;
      },
    });
  }

  /** The host header is the authority, as in Envoy (HTTP/1 Host becomes :authority). */
  private key(name: string): string {
    const k = name.toLowerCase();
    return k === 'host' && this.pseudo?.names.includes(':authority') === true ? ':authority' : k;
  }

  private isPseudo(k: string): boolean {
    return this.pseudo !== undefined && this.pseudo.names.includes(k);
  }

  values(name: string): readonly string[] {
    const k = this.key(name);
    if (this.isPseudo(k)) {
      const v = this.pseudo!.get(k);
      return v === undefined ? [] : [v];
    }
    return k.charCodeAt(0) === 58 ? [] : valuesOf(this.map[k]);
  }

  /** All values joined with "," (Envoy's get), or undefined. */
  get(name: string): string | undefined {
    const v = this.values(name);
    return v.length === 0 ? undefined : v.length === 1 ? v[0] : v.join(',');
  }

  /** Every (name, value) pair: pseudo-headers first, then each value of each header. */
  list(): [string, string][] {
    const out: [string, string][] = [];
    const p = this.pseudo;
    if (p !== undefined) {
      for (const n of p.names) {
        const v = p.get(n);
        if (v !== undefined && v !== '') out.push([n, v]);
      }
    }
    for (const k in this.map) {
      if (k === 'host' && p?.names.includes(':authority') === true) continue;
      for (const v of valuesOf(this.map[k])) out.push([k, v]);
    }
    return out;
  }

  /** Adds one value; returns an error message for an invalid name or value. */
  add(name: string, value: string): string | undefined {
    const k = this.key(name);
    const bad = this.check(k, value);
    if (bad !== undefined) return bad;
    if (this.isPseudo(k)) return this.pseudo!.set(k, value);
    const cur = this.map[k];
    this.map[k] = cur === undefined ? value : typeof cur === 'string' ? [cur, value] : [...cur, value];
    return undefined;
  }

  /** Sets the header to exactly this value (adding it when absent). */
  replace(name: string, value: string): string | undefined {
    const k = this.key(name);
    const bad = this.check(k, value);
    if (bad !== undefined) return bad;
    if (this.isPseudo(k)) return this.pseudo!.set(k, value);
    this.map[k] = value;
    return undefined;
  }

  remove(name: string): string | undefined {
    const k = this.key(name);
    if (this.isPseudo(k)) return `${k} cannot be removed`;
    delete this.map[k];
    return undefined;
  }

  private check(k: string, value: string): string | undefined {
    if (k.charCodeAt(0) === 58 ? !this.isPseudo(k) : !isToken(k)) return `invalid header name "${k}"`;
    if (!isFieldValue(value)) return `invalid value for header "${k}"`;
    return undefined;
  }
}
