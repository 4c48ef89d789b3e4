// HTTP/1.1 wire helpers: typed access to Node's bundled llhttp parser (the one node:http itself uses) and header serialization.
// The public http client costs several objects and closures per request; driving llhttp directly
// from a keep-alive socket is the difference between a proxy at 0.3x and one near 0.5x of nginx.
import { createRequire } from 'node:module';

export interface LlhttpParser {
  /** `maxHeaderSize` is the byte limit of a message head (0 = Node's default). */
  initialize(type: number, resource: object, maxHeaderSize?: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  /** Continues after a callback returned HPE_PAUSED (llhttp_resume). */
  resume(): void;
  close(): void;
  free(): void;
  [key: number]: unknown;
}

interface HttpParserModule {
  HTTPParser: {
    new (): LlhttpParser;
    REQUEST: number;
    RESPONSE: number;
    /** Called at the first byte of each message (Node >= 18). */
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnExecute: number;
  };
}

const require = createRequire(import.meta.url);
export const HTTPParser = (require('_http_common') as HttpParserModule).HTTPParser;

/** rawHeaders [k, v, k, v…] → lower-case map; set-cookie kept as an array, other repeats joined with ', '. */
export function headersFromRaw(raw: readonly string[], into: Record<string, string | string[] | undefined> = {}): Record<string, string | string[] | undefined> {
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i].toLowerCase();
    const value = raw[i + 1];
    const prev = into[key];
    if (prev === undefined) into[key] = key === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else into[key] = `${prev}, ${value}`;
  }
  return into;
}

/** Serializes a header map as `name: value\r\n` lines (arrays become repeated lines), skipping names in `skip`. */
export function headerLines(headers: Record<string, string | string[] | undefined>, skip?: ReadonlySet<string>): string {
  let out = '';
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || (skip !== undefined && skip.has(name))) continue;
    if (typeof v === 'string') out += `${name}: ${v}\r\n`;
    else for (let i = 0; i < v.length; i++) out += `${name}: ${v[i]}\r\n`;
  }
  return out;
}
