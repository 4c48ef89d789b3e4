// Telemetry: compiles %START_TIME(fmt)% strftime-like formats (UTC, plus Envoy's %s, %Nf, %ENS) into formatters.
type Part = (d: Date, ms: number) => string;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const p3 = (n: number): string => String(n).padStart(3, '0');

/** Fraction of the second with `digits` digits; we only have milliseconds, so the rest is zeros. */
function fraction(ms: number, digits: number): string {
  const milli = p3(((ms % 1000) + 1000) % 1000) + '000000';
  return milli.slice(0, digits);
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
}

const SIMPLE: Record<string, Part> = {
  Y: (d) => String(d.getUTCFullYear()),
  y: (d) => p2(d.getUTCFullYear() % 100),
  m: (d) => p2(d.getUTCMonth() + 1),
  d: (d) => p2(d.getUTCDate()),
  e: (d) => String(d.getUTCDate()).padStart(2, ' '),
  H: (d) => p2(d.getUTCHours()),
  I: (d) => p2(d.getUTCHours() % 12 || 12),
  p: (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
  M: (d) => p2(d.getUTCMinutes()),
  S: (d) => p2(d.getUTCSeconds()),
  j: (d) => p3(dayOfYear(d)),
  a: (d) => DAYS[d.getUTCDay()],
  A: (d) => DAYS_LONG[d.getUTCDay()],
  b: (d) => MONTHS[d.getUTCMonth()],
  h: (d) => MONTHS[d.getUTCMonth()],
  B: (d) => MONTHS_LONG[d.getUTCMonth()],
  u: (d) => String(d.getUTCDay() || 7),
  w: (d) => String(d.getUTCDay()),
  z: () => '+0000',
  Z: () => 'UTC',
  s: (_d, ms) => String(Math.floor(ms / 1000)),
  f: (_d, ms) => fraction(ms, 9),
  T: (d) => `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`,
  R: (d) => `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}`,
  F: (d) => `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`,
  D: (d) => `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${p2(d.getUTCFullYear() % 100)}`,
  n: () => '\n',
  t: () => '\t',
  '%': () => '%',
};

/** Returns a formatter for epoch milliseconds; throws on an unknown specifier (config-time error). */
export function compileTimeFormat(fmt: string): (ms: number) => string {
  if (fmt === '') return (ms) => new Date(ms).toISOString(); // Envoy's default %Y-%m-%dT%H:%M:%E3SZ
  const parts: (string | Part)[] = [];
  let lit = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%' || i + 1 >= fmt.length) {
      lit += c;
      continue;
    }
    const rest = fmt.slice(i + 1);
    let m: RegExpExecArray | null;
    let part: Part | undefined;
    let len = 1;
    if ((m = /^([1-9])f/.exec(rest))) {
      const n = Number(m[1]);
      part = (_d, ms) => fraction(ms, n);
      len = 2;
    } else if ((m = /^E([1-9])S/.exec(rest))) {
      const n = Number(m[1]);
      part = (d, ms) => `${p2(d.getUTCSeconds())}.${fraction(ms, n)}`;
      len = 3;
    } else if (rest.startsWith('Es')) {
      part = (_d, ms) => String(Math.floor(ms / 1000)); // seconds since epoch, as %s
      len = 2;
    } else {
      part = SIMPLE[rest[0]];
      if (part === undefined) throw new Error(`START_TIME: unsupported format specifier '%${rest[0]}' in '${fmt}'`);
    }
    if (lit !== '') parts.push(lit);
    lit = '';
    parts.push(part);
    i += len;
  }
  if (lit !== '') parts.push(lit);
  return (ms) => {
    const d = new Date(ms);
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(d, ms);
    return out;
  };
}
