// Test helper: judges what a proxy sent back on one connection — well-formed HTTP/1.1 responses or HTTP/2 frames.
import { HTTPParser } from '../../src/proxy/upstream/pool/http-parser.js';

export interface Verdict {
  /** Everything received parses (a response may still be incomplete). */
  wellFormed: boolean;
  /** At least one final (non-1xx) response was received completely. */
  answered: boolean;
  statuses: number[];
  why?: string;
}

/**
 * Parses `data` as HTTP/1.1 responses with llhttp. `closed`: the peer closed, so a body delimited by the
 * close is complete and a response cut off mid-head or mid-body is malformed (llhttp's finish() fails). `firstIsHead`: the first request was HEAD (no body).
 */
export function checkH1Responses(data: Buffer, closed: boolean, firstIsHead: boolean): Verdict {
  const statuses: number[] = [];
  let finals = 0;
  let why: string | undefined;
  const p = new HTTPParser();
  p.initialize(HTTPParser.RESPONSE, {});
  p[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, _h: unknown, _m: unknown, _u: unknown, status: number): number => {
    statuses.push(status);
    if (status < 100 || status > 599) why = `status ${status}`;
    return firstIsHead && finals === 0 && status >= 200 ? 1 : 0; // 1: no body follows
  };
  p[HTTPParser.kOnMessageComplete] = (): void => {
    if ((statuses.at(-1) ?? 0) >= 200) finals++;
  };
  try {
    let r: number | Error | undefined = data.length > 0 ? p.execute(data) : 0;
    if (!(r instanceof Error) && closed && data.length > 0) r = p.finish();
    if (r instanceof Error) why ??= `llhttp: ${(r as Error & { code?: string }).code ?? r.message}`;
  } finally {
    p.close();
  }
  return { wellFormed: why === undefined, answered: finals > 0, statuses, why };
}

const H2_FRAME_TYPES = 10;

/** Splits `data` into HTTP/2 frames: the server's first frame must be SETTINGS and every frame complete and sane. */
export function checkH2Frames(data: Buffer, closed: boolean): Verdict & { types: number[] } {
  const types: number[] = [];
  let off = 0;
  let why: string | undefined;
  while (off + 9 <= data.length) {
    const len = data.readUIntBE(off, 3);
    const type = data[off + 3];
    const id = data.readUInt32BE(off + 5);
    if (types.length === 0 && type !== 0x4) why = `first frame is type ${type}, not SETTINGS`;
    if (type >= H2_FRAME_TYPES) why ??= `unknown frame type ${type} from the server`;
    if (id & 0x80000000) why ??= 'reserved bit set in a stream id';
    if (off + 9 + len > data.length) break;
    types.push(type);
    off += 9 + len;
  }
  if (closed && off !== data.length) why ??= `${data.length - off} trailing bytes: a frame cut off`;
  return { wellFormed: why === undefined, answered: types.length > 0, statuses: [], types, why };
}
