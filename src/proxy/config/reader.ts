// Config stage: reads one Envoy proto3-JSON message field by field, collecting every error with its path.
import type { ConfigError } from '../../common/result.js';
import { ENVOY_FIELDS } from './envoy-fields.js';

export type Raw = Record<string, unknown>;

/**
 * Error sink and load options shared by every validator of one document. Errors that only repeat one
 * already reported are dropped: a second error at a path that already failed (one value is wrong once),
 * or any error below it (its parent was rejected, so what is inside was read from a broken value).
 */
export class Ctx {
  readonly errors: ConfigError[] = [];
  private readonly failed = new Set<string>();
  constructor(readonly baseDir: string | undefined) {}
  err(path: string, message: string): void {
    if (this.failedAt(path)) return;
    this.failed.add(path);
    this.errors.push({ path, message });
  }
  /** True when an error was already reported at `path` or at a path that contains it. */
  failedAt(path: string): boolean {
    return this.failed.has(path) || this.failedAbove(path);
  }
  /** True when an error was reported at a path inside `path` (e.g. one item of a list). */
  failedBelow(path: string): boolean {
    for (const f of this.failed) if (f.length > path.length && isInside(f, path)) return true;
    return false;
  }
  private failedAbove(path: string): boolean {
    if (this.failed.size === 0) return false;
    // every proper prefix of the path that ends where a segment ends: a.b[0].c -> a, a.b, a.b[0]
    for (let i = 1; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if ((c === 46 || c === 91) && this.failed.has(path.slice(0, i))) return true; // '.' or '['
    }
    return false;
  }
}

/** `inner` is `outer` or a path inside it (`outer.x`, `outer[3]`). The root path '' contains nothing, so root errors hide none. */
function isInside(inner: string, outer: string): boolean {
  if (outer === '' || !inner.startsWith(outer)) return false;
  if (inner.length === outer.length) return true;
  const c = inner.charCodeAt(outer.length);
  return c === 46 || c === 91;
}

export function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
export function idx(path: string, i: number): string {
  return `${path}[${i}]`;
}
export function key(path: string, k: string): string {
  return `${path}[${JSON.stringify(k)}]`;
}

export function isObj(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** proto3 JSON name of a snake_case field: underscores dropped, the next letter capitalised. */
export function jsonName(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export interface MessageSpec {
  /** ENVOY_FIELDS key: every field Envoy has on this message. */
  type: string;
  /** Fields trellis implements. */
  fields: readonly string[];
  /** Envoy fields accepted and ignored because they only affect observability or tuning. */
  ignored?: readonly string[];
}

const specCache = new Map<MessageSpec, { byName: Map<string, string>; envoy: Set<string> }>();

function names(spec: MessageSpec): { byName: Map<string, string>; envoy: Set<string> } {
  let n = specCache.get(spec);
  if (n === undefined) {
    const envoy = new Set((ENVOY_FIELDS[spec.type] ?? '').split(' ').filter((s) => s !== ''));
    const byName = new Map<string, string>();
    for (const f of [...envoy, ...spec.fields, ...(spec.ignored ?? [])]) {
      byName.set(f, f);
      byName.set(jsonName(f), f);
    }
    n = { byName, envoy };
    specCache.set(spec, n);
  }
  return n;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

export interface NumOpts {
  int?: boolean;
  min?: number;
  max?: number;
  /** exclusive lower bound */
  gt?: number;
}

/** One message being read: field values by snake_case name, with typed accessors that report errors. */
export class Msg {
  private readonly vals = new Map<string, unknown>();

  private constructor(
    readonly ctx: Ctx,
    readonly path: string,
  ) {}

  /** Opens `raw` as a message of `spec`; reports unknown/unsupported fields. Undefined if `raw` is not an object. */
  static open(ctx: Ctx, raw: unknown, path: string, spec: MessageSpec): Msg | undefined {
    if (!isObj(raw)) {
      ctx.err(path, `expected an object, got ${describe(raw)}`);
      return undefined;
    }
    const m = new Msg(ctx, path);
    const { byName, envoy } = names(spec);
    const supported = new Set(spec.fields);
    const ignored = new Set(spec.ignored ?? []);
    for (const [k, v] of Object.entries(raw)) {
      if (k === '@type') continue; // handled by typed_config unpacking
      const snake = byName.get(k);
      if (snake === undefined) {
        const all = [...supported];
        const near = all.find((f) => editDistance(k, f) <= 2 || editDistance(k, jsonName(f)) <= 2);
        ctx.err(join(path, k), `unknown field "${k}"${near !== undefined ? `; did you mean "${near}"?` : ''}`);
        continue;
      }
      if (m.vals.has(snake)) {
        ctx.err(join(path, snake), `field given twice (as "${snake}" and "${jsonName(snake)}")`);
        continue;
      }
      if (v === null || v === undefined) continue; // proto3 JSON: null means default
      if (supported.has(snake)) m.vals.set(snake, v);
      else if (ignored.has(snake)) continue;
      else if (envoy.has(snake)) ctx.err(join(path, snake), `${snake} is not supported by trellis`);
    }
    return m;
  }

  at(name: string): string {
    return join(this.path, name);
  }
  has(name: string): boolean {
    return this.vals.has(name);
  }
  raw(name: string): unknown {
    return this.vals.get(name);
  }
  err(name: string, message: string): void {
    this.ctx.err(this.at(name), message);
  }

  /** Exactly-one-of check for a proto oneof; returns the field set, reporting conflicts (and absence if required). */
  oneof(fields: readonly string[], required: boolean, label?: string): string | undefined {
    const set = fields.filter((f) => this.has(f));
    if (set.length > 1) {
      this.ctx.err(this.at(set[1]), `only one of ${set.join(', ')} may be set`);
    } else if (set.length === 0 && required) {
      this.ctx.err(label !== undefined ? this.at(label) : this.path, `one of ${fields.join(', ')} is required`);
    }
    return set[0];
  }

  require(name: string): boolean {
    if (this.has(name)) return true;
    this.err(name, 'is required');
    return false;
  }

  str(name: string): string | undefined {
    const v = this.vals.get(name);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    this.err(name, `expected a string, got ${describe(v)}`);
    return undefined;
  }
  strOr(name: string, dflt: string): string {
    return this.str(name) ?? dflt;
  }
  /** A required string that must not be empty. */
  reqStr(name: string): string {
    if (!this.require(name)) return '';
    const s = this.str(name) ?? '';
    if (s === '' && this.has(name)) this.err(name, 'must not be empty');
    return s;
  }

  bool(name: string): boolean | undefined {
    return readBool(this.ctx, this.vals.get(name), this.at(name));
  }
  boolOr(name: string, dflt: boolean): boolean {
    return this.bool(name) ?? dflt;
  }

  num(name: string, opts: NumOpts = {}): number | undefined {
    return readNum(this.ctx, this.vals.get(name), this.at(name), opts);
  }
  numOr(name: string, dflt: number, opts: NumOpts = {}): number {
    return this.num(name, opts) ?? dflt;
  }
  /** A port number 0–65535. */
  port(name: string): number | undefined {
    return this.num(name, { int: true, min: 0, max: 65535 });
  }

  dur(name: string): number | undefined {
    return readDuration(this.ctx, this.vals.get(name), this.at(name));
  }
  durOr(name: string, dflt: number): number {
    return this.dur(name) ?? dflt;
  }

  enumOr<T extends string>(name: string, values: readonly T[], dflt: T): T {
    return this.enumOpt(name, values) ?? dflt;
  }
  enumOpt<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.vals.get(name);
    if (v === undefined) return undefined;
    return readEnum(this.ctx, v, this.at(name), name, values);
  }

  /**
   * The raw items of a repeated field. Like Envoy's proto JSON parsing, one object where a list is
   * expected is a one-item list (Envoy's own TLS examples write `tls_certificates:` that way).
   */
  rawList(name: string): unknown[] | undefined {
    const v = this.vals.get(name);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) return v;
    if (isObj(v)) return [v];
    return undefined;
  }

  list<T>(name: string, fn: (raw: unknown, path: string, i: number) => T | undefined): T[] {
    const v = this.vals.get(name);
    if (v === undefined) return [];
    const items = this.rawList(name);
    if (items === undefined) {
      this.err(name, `expected a list, got ${describe(v)}`);
      return [];
    }
    const out: T[] = [];
    items.forEach((item: unknown, i) => {
      const r = fn(item, idx(this.at(name), i), i);
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  strList(name: string): string[] {
    return this.list(name, (v, p) => {
      if (typeof v === 'string') return v;
      this.ctx.err(p, `expected a string, got ${describe(v)}`);
      return undefined;
    });
  }

  msg<T>(name: string, fn: (raw: unknown, path: string) => T | undefined): T | undefined {
    const v = this.vals.get(name);
    if (v === undefined) return undefined;
    return fn(v, this.at(name));
  }

  /** A map<string, V> field. */
  map<T>(name: string, fn: (k: string, raw: unknown, path: string) => T | undefined): Record<string, T> {
    const out: Record<string, T> = {};
    const v = this.vals.get(name);
    if (v === undefined) return out;
    if (!isObj(v)) {
      this.err(name, `expected a map, got ${describe(v)}`);
      return out;
    }
    for (const [k, item] of Object.entries(v)) {
      const r = fn(k, item, key(this.at(name), k));
      if (r !== undefined) out[k] = r;
    }
    return out;
  }

  /** A google.protobuf.Struct: any JSON object. */
  struct(name: string): Record<string, unknown> | undefined {
    const v = this.vals.get(name);
    if (v === undefined) return undefined;
    if (isObj(v)) return v;
    this.err(name, `expected an object, got ${describe(v)}`);
    return undefined;
  }

  /** An empty-message marker field like `grpc: {}` or `header_delay: {}`. */
  present(name: string): boolean {
    return this.has(name);
  }
}

/** Wrapper types (UInt32Value, BoolValue, Percent…) may arrive as `{value: x}`. */
function unwrap(v: unknown): unknown {
  if (isObj(v) && Object.keys(v).length === 1 && 'value' in v) return v.value;
  return v;
}

export function readBool(ctx: Ctx, raw: unknown, path: string): boolean | undefined {
  const v = unwrap(raw);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  ctx.err(path, `expected a boolean, got ${describe(v)}`);
  return undefined;
}

export function readNum(ctx: Ctx, raw: unknown, path: string, opts: NumOpts = {}): number | undefined {
  let v = unwrap(raw);
  if (v === undefined || v === null) return undefined;
  // proto3 JSON encodes 64-bit integers as strings
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) v = Number(v);
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    ctx.err(path, `expected a number, got ${describe(v)}`);
    return undefined;
  }
  if (opts.int === true && !Number.isInteger(v)) {
    ctx.err(path, `expected an integer, got ${v}`);
    return undefined;
  }
  if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    const range = opts.max === undefined ? `>= ${opts.min}` : opts.min === undefined ? `<= ${opts.max}` : `in ${opts.min}–${opts.max}`;
    ctx.err(path, `${v} is out of range; must be ${range}`);
    return undefined;
  }
  if (opts.gt !== undefined && v <= opts.gt) {
    ctx.err(path, `${v} is out of range; must be > ${opts.gt}`);
    return undefined;
  }
  return v;
}

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** google.protobuf.Duration as "1.5s" or {seconds, nanos} -> milliseconds. */
export function readDuration(ctx: Ctx, v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  let ms: number | undefined;
  if (typeof v === 'string') {
    const m = DURATION_RE.exec(v.trim());
    if (m !== null) {
      const frac = (m[3] ?? '').padEnd(9, '0');
      ms = Number(m[2]) * 1000 + Number(frac) / 1e6;
      if (m[1] === '-') ms = -ms;
    }
  } else if (isObj(v)) {
    const extra = Object.keys(v).filter((k) => k !== 'seconds' && k !== 'nanos');
    const s = readNum(ctx, v.seconds ?? 0, join(path, 'seconds'), { int: true });
    const n = readNum(ctx, v.nanos ?? 0, join(path, 'nanos'), { int: true, min: -999999999, max: 999999999 });
    if (extra.length > 0) ctx.err(join(path, extra[0]), `unknown field "${extra[0]}"`);
    if (s === undefined || n === undefined || extra.length > 0) return undefined;
    ms = s * 1000 + n / 1e6;
  }
  if (ms === undefined) {
    ctx.err(path, `expected a duration like "1.5s" or {seconds, nanos}, got ${describe(v)}`);
    return undefined;
  }
  if (ms < 0) {
    ctx.err(path, 'duration must not be negative');
    return undefined;
  }
  return ms;
}

/** Enum names match case-insensitively, as in Envoy (`codec_type: auto`, `lb_policy: round_robin`); the model keeps Envoy's spelling. */
export function readEnum<T extends string>(ctx: Ctx, v: unknown, path: string, field: string, values: readonly T[]): T | undefined {
  if (typeof v === 'string') {
    if ((values as readonly string[]).includes(v)) return v as T;
    const upper = v.toUpperCase();
    const hit = values.find((x) => x.toUpperCase() === upper);
    if (hit !== undefined) return hit;
  }
  ctx.err(path, `unknown ${field} ${JSON.stringify(v)}; expected one of ${values.join(', ')}`);
  return undefined;
}

export const TYPE_PREFIX = 'type.googleapis.com/';
const TYPED_STRUCTS = new Set([`${TYPE_PREFIX}udpa.type.v1.TypedStruct`, `${TYPE_PREFIX}xds.type.v3.TypedStruct`]);

/** An unpacked google.protobuf.Any: its type URL and the message fields. */
export interface Unpacked {
  typeUrl: string;
  body: Raw;
  path: string;
}

/** Unpacks a `typed_config` Any (with `@type`), seeing through a TypedStruct wrapper. */
export function unpackAny(ctx: Ctx, raw: unknown, path: string): Unpacked | undefined {
  if (!isObj(raw)) {
    ctx.err(path, `expected an object with "@type", got ${describe(raw)}`);
    return undefined;
  }
  const t = raw['@type'];
  if (typeof t !== 'string' || t === '') {
    ctx.err(join(path, '@type'), 'is required');
    return undefined;
  }
  if (TYPED_STRUCTS.has(t)) {
    const m = Msg.open(ctx, raw, path, { type: 'udpa.type.v1.TypedStruct', fields: ['type_url', 'value'] });
    if (m === undefined) return undefined;
    const inner = m.reqStr('type_url');
    const value = m.raw('value') ?? {};
    if (!isObj(value)) {
      m.err('value', `expected an object, got ${describe(value)}`);
      return undefined;
    }
    if (inner === '') return undefined;
    return { typeUrl: inner.includes('/') ? inner : TYPE_PREFIX + inner, body: value, path: join(path, 'value') };
  }
  return { typeUrl: t, body: raw, path };
}

/** Short message name of a type URL, for error messages. */
export function typeName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
