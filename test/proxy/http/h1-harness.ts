// Test helper: drives a downstream H1Connection over an in-memory Duplex and records what the codec hands to the proxy.
import { Duplex } from 'node:stream';
import { H1Connection, type H1CodecOptions, type H1Stream, type UpgradeRequest } from '../../../src/proxy/http/h1-codec.js';
import type { HeaderMap } from '../../../src/proxy/router/types.js';
import type { DownstreamConnectionInfo } from '../../../src/proxy/http/types.js';

/** The downstream socket: bytes pushed in are what the client sent; `output()` is what the codec wrote back. */
export class FakeSocket extends Duplex {
  private readonly out: Buffer[] = [];
  ended = false;
  pauses = 0;

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.out.push(Buffer.from(chunk));
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.ended = true;
    cb();
  }

  override pause(): this {
    this.pauses++;
    return super.pause();
  }

  /** Everything written by the codec so far, as latin1. */
  output(): string {
    return Buffer.concat(this.out).toString('latin1');
  }

  /** The codec ended (or destroyed) its side of the connection. */
  get closedByCodec(): boolean {
    return this.writableEnded || this.destroyed;
  }
}

export interface RecordedRequest {
  stream: H1Stream;
  method: string;
  path: string;
  headers: HeaderMap;
  body: Buffer[];
  ended: boolean;
  trailers: HeaderMap | undefined;
  aborted: boolean;
}

export const INFO: DownstreamConnectionInfo = {
  remoteAddress: '127.0.0.1',
  remotePort: 40000,
  localAddress: '127.0.0.1',
  localPort: 10000,
  listenerName: 'l',
  filterChainName: 'fc',
};

export const DEFAULTS: H1CodecOptions = { idleTimeoutMs: 0, maxHeaderPairs: 100, maxHeaderBytes: 60 * 1024, headersTimeoutMs: 0 };

/** One codec connection with a recording "proxy" behind it; requests are answered only when the test says so. */
export class CodecUnderTest {
  readonly socket = new FakeSocket();
  readonly requests: RecordedRequest[] = [];
  readonly errors: string[] = [];
  readonly upgrades: { req: UpgradeRequest; head: Buffer }[] = [];
  readonly conn: H1Connection;
  /** Highest number of requests forwarded and not yet answered at any moment. */
  maxOutstanding = 0;
  private outstanding = 0;

  constructor(opts: Partial<H1CodecOptions> = {}, private readonly autoRespond = false) {
    this.conn = new H1Connection(
      this.socket,
      INFO,
      {
        onRequest: (stream) => this.onRequest(stream),
        onUpgrade: (req, _socket, head) => this.upgrades.push({ req, head }),
        onProtocolError: (code) => this.errors.push(code),
        onClose: () => {},
      },
      { ...DEFAULTS, ...opts },
    );
  }

  private onRequest(stream: H1Stream): void {
    const r: RecordedRequest = { stream, method: stream.method, path: stream.rawPath, headers: stream.headers, body: [], ended: false, trailers: undefined, aborted: false };
    this.requests.push(r);
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    stream.onAbort(() => {
      r.aborted = true;
      this.outstanding--;
    });
    stream.readBody(
      (c) => r.body.push(c),
      (t) => {
        r.ended = true;
        r.trailers = t;
        if (this.autoRespond) this.respond(r, 200, r.path);
      },
    );
  }

  /** Answers a forwarded request with `body` (content-length framed). */
  respond(r: RecordedRequest, status = 200, body = ''): void {
    this.outstanding--;
    r.stream.respondHeaders(status, { 'content-length': String(Buffer.byteLength(body)) }, body.length === 0);
    if (body.length > 0) {
      r.stream.respondData(Buffer.from(body));
      r.stream.respondEnd(undefined);
    }
  }

  /** Client bytes delivered synchronously as 'data' events, one per piece (bypasses pause: for single heads only). */
  sendSync(pieces: readonly Buffer[]): void {
    for (const p of pieces) this.socket.emit('data', p);
  }

  /** Client bytes, written as the given pieces (each one socket read). */
  async send(...pieces: (string | Buffer)[]): Promise<void> {
    for (const p of pieces) {
      this.socket.push(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
      await settle();
    }
  }

  /** The status line codes the codec wrote, in order. */
  statuses(): number[] {
    return [...this.socket.output().matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  }
}

/** Lets stream events, microtask flushes and nextTick resumes run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

export function requestHead(path: string, headers: [string, string][], extra = ''): string {
  return `GET ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}${extra}\r\n`;
}
