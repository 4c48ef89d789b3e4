// Tracing: random trace and span ids, drawn from a pooled random buffer (one syscall per 512 ids).
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;

function take(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return /^0+$/.test(s) ? take(bytes) : s; // all-zero ids are invalid in W3C and B3
}

export function newSpanId(): string {
  return take(8);
}

export function newTraceId(bits128: boolean): string {
  return take(bits128 ? 16 : 8);
}
