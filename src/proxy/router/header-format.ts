// Router compile stage: header values with Envoy command operators (%REQ(x)%, %DOWNSTREAM_REMOTE_ADDRESS% …) compiled into segments.
import { hostname } from 'node:os';
import type { HeaderFormatContext } from './types.js';
import type { Errors } from './compile-errors.js';
import { firstHeader } from './header-value.js';

const LIT = 0;
const DS_REMOTE = 1;
const DS_REMOTE_NOPORT = 2;
const DS_LOCAL = 3;
const DS_LOCAL_NOPORT = 4;
const UPSTREAM = 5;
const PROTOCOL = 6;
const REQ = 7;
const START_TIME = 8;

interface Segment {
  readonly op: number;
  /** Literal text, or the header name for REQ. */
  readonly text: string;
  /** REQ(a?b): the alternative header. */
  readonly alt: string;
  /** REQ(x):N truncation; 0 = none. */
  readonly max: number;
  /** START_TIME(fmt) tokens; empty = Envoy's default ISO-8601 with milliseconds. */
  readonly time: readonly TimeToken[];
}

type TimeToken = string | number; // literal text, or a TF_* code

const TF_Y = 0, TF_m = 1, TF_d = 2, TF_H = 3, TF_M = 4, TF_S = 5, TF_s = 6, TF_z = 7, TF_Z = 8;
const TF_FRAC3 = 13, TF_FRAC6 = 16, TF_FRAC9 = 19, TF_E3S = 23, TF_E6S = 26, TF_E9S = 29;

const SIMPLE: Record<string, number> = {
  DOWNSTREAM_REMOTE_ADDRESS: DS_REMOTE,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: DS_REMOTE_NOPORT,
  DOWNSTREAM_LOCAL_ADDRESS: DS_LOCAL,
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: DS_LOCAL_NOPORT,
  UPSTREAM_REMOTE_ADDRESS: UPSTREAM,
  UPSTREAM_HOST: UPSTREAM,
  PROTOCOL,
};

const TIME_SPECS: Record<string, number> = {
  Y: TF_Y, m: TF_m, d: TF_d, H: TF_H, M: TF_M, S: TF_S, s: TF_s, z: TF_z, Z: TF_Z,
  '3f': TF_FRAC3, '6f': TF_FRAC6, '9f': TF_FRAC9, E3S: TF_E3S, E6S: TF_E6S, E9S: TF_E9S,
};

function seg(op: number, text = '', alt = '', max = 0, time: readonly TimeToken[] = []): Segment {
  return { op, text, alt, max, time };
}

function compileTime(fmt: string, path: string, errs: Errors): TimeToken[] {
  const out: TimeToken[] = [];
  let lit = '';
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') {
      lit += fmt[i];
      continue;
    }
    if (fmt[i + 1] === '%') {
      lit += '%';
      i++;
      continue;
    }
    const spec = ['E3S', 'E6S', 'E9S', '3f', '6f', '9f'].find((s) => fmt.startsWith(s, i + 1)) ?? fmt[i + 1] ?? '';
    const code = TIME_SPECS[spec];
    if (code === undefined) {
      errs.push({ path, message: `unsupported START_TIME format specifier %${spec}` });
      continue;
    }
    if (lit) out.push(lit);
    lit = '';
    out.push(code);
    i += spec.length;
  }
  if (lit) out.push(lit);
  return out;
}

/** Compiled header value: `constant` when it has no operators, else `format(ctx)`. */
export class HeaderValueFormatter {
  readonly constant: string | undefined;
  private readonly segs: readonly Segment[];

  constructor(value: string, path: string, errs: Errors) {
    const segs: Segment[] = [];
    let lit = '';
    const flush = (): void => {
      if (lit) segs.push(seg(LIT, lit));
      lit = '';
    };
    let i = 0;
    while (i < value.length) {
      const c = value[i]!;
      if (c !== '%') {
        lit += c;
        i++;
        continue;
      }
      if (value[i + 1] === '%') {
        lit += '%';
        i += 2;
        continue;
      }
      const m = /^[A-Z0-9_]+/.exec(value.slice(i + 1));
      const name = m ? m[0] : '';
      let j = i + 1 + name.length;
      let arg: string | undefined;
      if (value[j] === '(') {
        const close = value.indexOf(')', j);
        if (close < 0) {
          errs.push({ path, message: `unterminated command operator in ${JSON.stringify(value)}` });
          break;
        }
        arg = value.slice(j + 1, close);
        j = close + 1;
      }
      let max = 0;
      const mm = /^:(\d+)/.exec(value.slice(j));
      if (mm) {
        max = Number(mm[1]);
        j += mm[0].length;
      }
      if (!name || value[j] !== '%') {
        errs.push({ path, message: `invalid command operator in ${JSON.stringify(value)} (use %% for a literal %)` });
        break;
      }
      flush();
      if (name === 'REQ' && arg) {
        const [a, b] = arg.toLowerCase().split('?');
        segs.push(seg(REQ, a!, b ?? '', max));
      } else if (name === 'HOSTNAME') {
        lit += hostname();
      } else if (name === 'START_TIME') {
        segs.push(seg(START_TIME, '', '', 0, arg ? compileTime(arg, path, errs) : []));
      } else if (SIMPLE[name] !== undefined && arg === undefined) {
        segs.push(seg(SIMPLE[name]!));
      } else {
        errs.push({ path, message: `unsupported command operator %${name}${arg !== undefined ? `(${arg})` : ''}%` });
      }
      i = j + 1;
    }
    flush();
    this.segs = segs;
    this.constant = segs.length === 0 ? '' : segs.length === 1 && segs[0]!.op === LIT ? segs[0]!.text : undefined;
  }

  format(ctx: HeaderFormatContext): string {
    if (this.constant !== undefined) return this.constant;
    let out = '';
    for (let i = 0; i < this.segs.length; i++) out += evalSegment(this.segs[i]!, ctx);
    return out;
  }
}

function withoutPort(addr: string): string {
  if (addr.charCodeAt(0) === 91 /* [ */) {
    const e = addr.indexOf(']');
    return e > 0 ? addr.slice(1, e) : addr;
  }
  const c = addr.lastIndexOf(':');
  // More than one ':' without brackets is a bare IPv6 address with no port.
  return c < 0 || addr.indexOf(':') !== c ? addr : addr.slice(0, c);
}

function reqHeader(ctx: HeaderFormatContext, name: string): string | undefined {
  const v = firstHeader(ctx.requestHeaders, name);
  if (v === undefined && name === ':authority') return firstHeader(ctx.requestHeaders, 'host');
  return v;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function formatTime(tokens: readonly TimeToken[], now: number): string {
  if (tokens.length === 0) return new Date(now).toISOString();
  const d = new Date(now);
  const ms = d.getUTCMilliseconds();
  let out = '';
  for (const t of tokens) {
    if (typeof t === 'string') {
      out += t;
      continue;
    }
    switch (t) {
      case TF_Y: out += pad(d.getUTCFullYear(), 4); break;
      case TF_m: out += pad(d.getUTCMonth() + 1, 2); break;
      case TF_d: out += pad(d.getUTCDate(), 2); break;
      case TF_H: out += pad(d.getUTCHours(), 2); break;
      case TF_M: out += pad(d.getUTCMinutes(), 2); break;
      case TF_S: out += pad(d.getUTCSeconds(), 2); break;
      case TF_s: out += String(Math.floor(now / 1000)); break;
      case TF_z: out += '+0000'; break;
      case TF_Z: out += 'UTC'; break;
      case TF_FRAC3: out += pad(ms, 3); break;
      case TF_FRAC6: out += pad(ms, 3) + '000'; break;
      case TF_FRAC9: out += pad(ms, 3) + '000000'; break;
      case TF_E3S: out += `${pad(d.getUTCSeconds(), 2)}.${pad(ms, 3)}`; break;
      case TF_E6S: out += `${pad(d.getUTCSeconds(), 2)}.${pad(ms, 3)}000`; break;
      default: out += `${pad(d.getUTCSeconds(), 2)}.${pad(ms, 3)}000000`;
    }
  }
  return out;
}

function evalSegment(s: Segment, ctx: HeaderFormatContext): string {
  switch (s.op) {
    case LIT:
      return s.text;
    case DS_REMOTE:
      return ctx.downstreamRemoteAddress;
    case DS_REMOTE_NOPORT:
      return withoutPort(ctx.downstreamRemoteAddress);
    case DS_LOCAL:
      return ctx.downstreamLocalAddress;
    case DS_LOCAL_NOPORT:
      return withoutPort(ctx.downstreamLocalAddress);
    case UPSTREAM:
      return ctx.upstreamHost ?? '';
    case PROTOCOL:
      return ctx.protocol;
    case REQ: {
      let v = reqHeader(ctx, s.text);
      if (v === undefined && s.alt) v = reqHeader(ctx, s.alt);
      if (v === undefined) return '';
      return s.max > 0 && v.length > s.max ? v.slice(0, s.max) : v;
    }
    default:
      return formatTime(s.time, Date.now());
  }
}
