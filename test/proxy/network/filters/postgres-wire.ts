// Test support: Postgres v3 protocol messages (startup, SSLRequest, typed frontend and backend messages) built from
// the protocol's documented layout, for the unit and e2e tests of postgres_proxy.

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function msg(type: string, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(p.length + 4), p]);
}

export function startup(user = 'alice', database = 'shop'): Buffer {
  const body = Buffer.concat([int32(196608), Buffer.from(`user\0${user}\0database\0${database}\0\0`)]);
  return Buffer.concat([int32(body.length + 4), body]);
}

export function sslRequest(): Buffer {
  return Buffer.concat([int32(8), int32(80877103)]);
}

export const authOk = (): Buffer => msg('R', int32(0));
export const authMd5 = (): Buffer => msg('R', Buffer.concat([int32(5), Buffer.from([1, 2, 3, 4])]));
export const password = (): Buffer => msg('p', 'md5abcdef\0');
export const ready = (): Buffer => msg('Z', 'I');
export const query = (sql: string): Buffer => msg('Q', `${sql}\0`);
export const parse = (sql: string): Buffer => msg('P', Buffer.concat([Buffer.from(`\0${sql}\0`), Buffer.from([0, 0])]));
export const complete = (tag: string): Buffer => msg('C', `${tag}\0`);
export const terminate = (): Buffer => msg('X');

/** ErrorResponse / NoticeResponse with S (and, as 9.6+ servers send, V) severity fields. */
export function report(type: 'E' | 'N', severity: string, withV = true): Buffer {
  return msg(type, `S${severity}\0${withV ? `V${severity}\0` : ''}C42P01\0Msomething happened\0\0`);
}

export function loginReplies(): Buffer {
  return Buffer.concat([authOk(), msg('S', 'server_version\u000016.2\0'), msg('K', Buffer.alloc(8, 1)), ready()]);
}
