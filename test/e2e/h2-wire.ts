// Test helper: hand-built HTTP/2 frames and HPACK header blocks, for feeding a proxy exact byte sequences.

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** One frame: 24-bit length, type, flags, 31-bit stream id (the reserved bit is kept if set), payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId >>> 0, 5);
  return Buffer.concat([head, payload]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** HPACK integer (RFC 7541 §5.1) with an N-bit prefix; `high` holds the pattern bits above the prefix. */
export function hpackInt(value: number, prefixBits: number, high = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function hpackString(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return Buffer.concat([hpackInt(bytes.length, 7), bytes]);
}

/** "Literal header field without indexing — new name" (RFC 7541 §6.2.2): no dynamic-table state involved. */
export function hpackLiteral(name: string | Buffer, value: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(fields.map(([n, v]) => hpackLiteral(n, v)));
}

/** A request header block: pseudo-headers first, then the given fields. */
export function requestBlock(method: string, path: string, authority: string, extra: readonly (readonly [string, string])[] = []): Buffer {
  return headerBlock([[':method', method], [':scheme', 'http'], [':path', path], [':authority', authority], ...extra]);
}

/** Preface plus an empty SETTINGS frame: what a client must send first. */
export function clientStart(): Buffer {
  return Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0)]);
}
