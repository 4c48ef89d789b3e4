// Runtime: one runtime value as Envoy reads it — the raw string plus its boolean, number and FractionalPercent readings.
import { load as loadYaml } from 'js-yaml';

export type Denominator = 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
export interface FractionalPercent {
  numerator: number;
  denominator: Denominator;
}
export const DENOMINATOR_VALUE: Readonly<Record<Denominator, number>> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };
const DENOMINATORS: readonly Denominator[] = ['HUNDRED', 'TEN_THOUSAND', 'MILLION'];

export interface RuntimeEntry {
  /** What GET /runtime shows. */
  readonly raw: string;
  readonly bool?: boolean;
  readonly double?: number;
  /** Set for non-negative numbers, rounded down (Envoy: "3.9" reads as 3). */
  readonly uint?: number;
  readonly fraction?: FractionalPercent;
}

const UINT_RE = /^\+?\d+$/;
const DOUBLE_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_DOUBLE_RE = /^[+-]?(?:inf|infinity|nan)$/i;
const UINT64_MAX = 2 ** 64;

function parseDouble(s: string): number | undefined {
  if (DOUBLE_RE.test(s)) return Number(s);
  if (SPECIAL_DOUBLE_RE.test(s)) return /nan/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

function denominatorOf(v: unknown): Denominator | undefined {
  if (v === undefined) return 'HUNDRED';
  if (typeof v === 'number') return DENOMINATORS[v];
  if (typeof v !== 'string') return undefined;
  return DENOMINATORS.find((d) => d === v.toUpperCase());
}

/** A FractionalPercent from an object ({numerator, denominator}); undefined if it is not one. */
export function fractionFromObject(v: unknown): FractionalPercent | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== 'numerator' && k !== 'denominator')) return undefined;
  const n = o.numerator === undefined ? 0 : typeof o.numerator === 'string' && UINT_RE.test(o.numerator.trim()) ? Number(o.numerator) : o.numerator;
  const denominator = denominatorOf(o.denominator);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff || denominator === undefined) return undefined;
  return { numerator: n, denominator };
}

/** A FractionalPercent written as YAML/JSON text (`{numerator: 5, denominator: TEN_THOUSAND}`), as a disk file may hold. */
function fractionFromText(raw: string): FractionalPercent | undefined {
  if (!/numerator|denominator|^\s*\{\s*\}\s*$/.test(raw)) return undefined;
  try {
    return fractionFromObject(loadYaml(raw));
  } catch {
    return undefined;
  }
}

/**
 * Reads a value the way Envoy's runtime does: a whole number is also a boolean (non-zero = true), "true"/"false"
 * (any case) is only a boolean, any number is a double (and, when not negative, an integer rounded down), and
 * anything else may be a FractionalPercent.
 */
export function parseEntry(raw: string): RuntimeEntry {
  const s = raw.trim();
  let bool: boolean | undefined;
  if (UINT_RE.test(s)) bool = Number(s) !== 0;
  else if (s.toLowerCase() === 'true' || s.toLowerCase() === 'false') return { raw, bool: s.toLowerCase() === 'true' };
  const d = parseDouble(s);
  if (d !== undefined) {
    const out: { raw: string; bool?: boolean; double: number; uint?: number } = { raw, double: d };
    if (bool !== undefined) out.bool = bool;
    if (d >= 0 && d <= UINT64_MAX) out.uint = Math.floor(d);
    if (out.uint !== undefined) return out;
    const fraction = fractionFromText(raw);
    return fraction === undefined ? out : { ...out, fraction };
  }
  const fraction = fractionFromText(raw);
  return fraction === undefined ? { raw } : { raw, fraction };
}

/** A static_layer leaf: scalars read as their text; objects are FractionalPercents. */
export function entryFromStatic(v: unknown): RuntimeEntry {
  if (typeof v === 'string') return parseEntry(v);
  if (typeof v === 'number' || typeof v === 'boolean') return parseEntry(String(v));
  const raw = JSON.stringify(v);
  const fraction = fractionFromObject(v);
  return fraction === undefined ? { raw } : { raw, fraction };
}
