// Upstream pools: typed access to Node's bundled llhttp parser (the one node:http itself uses).
// The public http client costs several objects and closures per request; driving llhttp directly
// from a keep-alive socket is the difference between a proxy at 0.3x and one near 0.5x of nginx.
import { createRequire } from 'node:module';

export interface LlhttpParser {
  /** `maxHeaderSize` is the byte limit of a message head (0 = Node's default). */
  initialize(type: number, resource: object, maxHeaderSize?: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  close(): void;
  free(): void;
  [key: number]: unknown;
}

interface HttpParserModule {
  HTTPParser: {
    new (): LlhttpParser;
    REQUEST: number;
    RESPONSE: number;
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
