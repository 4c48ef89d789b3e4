// xDS client: one gRPC bidirectional-streaming call over node:http2 (h2c) — what the ADS stream needs of gRPC, without loading @grpc/grpc-js into the proxy.
//
// Covers: the call's request headers, message framing (identity encoding only), response headers, status from
// trailers (or a trailers-only response), cancellation, and keepalive PINGs on the session.
import http2 from 'node:http2';
import { frameMessage, GrpcFrameReader } from './grpc-frames.js';
import { startKeepalive, type KeepaliveOptions } from './keepalive.js';

/** A method as the call needs it: its path and the message codecs. */
export interface GrpcMethod<Req, Res> {
  path: string;
  serialize(req: Req): Buffer;
  deserialize(bytes: Buffer): Res;
}

const GRPC_OK = 0;
/** google.rpc.Code names for the log lines. */
const CODE_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** TLS to the control plane: the roots its certificate must chain to, and our certificate once we have one. */
export interface TlsConnect {
  ca: string;
  servername?: string;
  cert?: string;
  key?: string;
}

export interface ConnectOptions extends KeepaliveOptions {
  connectTimeoutMs: number;
  /** Absent = h2c (plaintext). */
  tls?: TlsConnect;
}

/**
 * An HTTP/2 session to host:port, resolved once the server's SETTINGS arrived (so a port that accepts TCP but
 * does not speak HTTP/2 fails within the timeout). The session's errors surface through its calls.
 */
export function connectH2(target: string, opts: ConnectOptions): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const t = opts.tls;
    const session =
      t === undefined
        ? http2.connect(`http://${target}`)
        : http2.connect(`https://${target}`, { ca: t.ca, ...(t.servername !== undefined ? { servername: t.servername } : {}), ...(t.cert !== undefined && t.key !== undefined ? { cert: t.cert, key: t.key } : {}) });
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail(`no HTTP/2 session within ${opts.connectTimeoutMs} ms`), opts.connectTimeoutMs);
    session.on('error', (e: Error) => fail(e.message));
    session.once('close', () => fail('connection closed'));
    session.once('remoteSettings', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const stop = startKeepalive(session, opts);
      session.once('close', stop);
      resolve(session);
    });
  });
}

export interface BidiHandlers<Res> {
  onMessage(res: Res): void;
  /** The server ended the call with OK. */
  onEnd(): void;
  /** The call failed: a non-OK status, a broken stream or session, or a response that did not parse. */
  onError(reason: string): void;
}

export interface BidiCall<Req> {
  write(req: Req): void;
  /** Half-closes our side (a unary call's single request is written). */
  end(): void;
  /** Ends the call (RST_STREAM CANCEL); no handler runs after this. */
  cancel(): void;
}

/** Opens the call on `session`; exactly one of onEnd / onError follows, unless cancelled first. */
export function startBidiCall<Req, Res>(session: http2.ClientHttp2Session, method: GrpcMethod<Req, Res>, handlers: BidiHandlers<Res>, metadata: Readonly<Record<string, string>> = {}): BidiCall<Req> {
  const stream = session.request(
    {
      ...metadata,
      ':method': 'POST',
      ':path': method.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-accept-encoding': 'identity',
      'user-agent': 'trellis-proxy',
    },
    { endStream: false },
  );
  const frames = new GrpcFrameReader();
  let done = false;
  let status: number | undefined;
  let message = '';
  let failure: string | undefined;
  const finish = (report: () => void): void => {
    if (done) return;
    done = true;
    report();
  };
  const readStatus = (headers: http2.IncomingHttpHeaders): void => {
    const s = headers['grpc-status'];
    if (s === undefined) return;
    status = Number(s);
    message = grpcMessage(headers['grpc-message']);
  };
  const abort = (why: string): void => {
    failure ??= why;
    if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
  };
  stream.on('response', (headers) => {
    const httpStatus = headers[':status'];
    if (httpStatus !== 200) return abort(`HTTP status ${httpStatus}`);
    const type = headers['content-type'];
    if (typeof type !== 'string' || !type.startsWith('application/grpc')) return abort(`content-type ${String(type)} is not gRPC`);
    readStatus(headers); // a trailers-only response carries the status here
  });
  stream.on('data', (chunk: Buffer) => {
    if (done || failure !== undefined) return;
    let msgs: Buffer[];
    try {
      msgs = frames.push(chunk);
    } catch (e) {
      return abort(`cannot read a response: ${(e as Error).message}`);
    }
    for (const m of msgs) {
      let res: Res;
      try {
        res = method.deserialize(m);
      } catch (e) {
        return abort(`cannot parse a response: ${(e as Error).message}`);
      }
      handlers.onMessage(res);
      if (done || failure !== undefined) return; // the handler cancelled the call
    }
  });
  stream.on('trailers', readStatus);
  stream.on('error', (e: Error) => {
    failure ??= e.message;
  });
  const settle = (): void =>
    finish(() => {
      if (failure !== undefined) handlers.onError(failure);
      else if (status === GRPC_OK && frames.pending > 0) handlers.onError('stream ended inside a message');
      else if (status === GRPC_OK) handlers.onEnd();
      else if (status !== undefined) handlers.onError(`${CODE_NAMES[status] ?? `status ${status}`}${message !== '' ? `: ${message}` : ''}`);
      else handlers.onError(`stream closed without a gRPC status (HTTP/2 code ${stream.rstCode ?? 'none'})`);
    });
  // the server's side ended (after every 'data' and the trailers): the call is over, though ours is still open
  stream.on('end', () => {
    settle();
    if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
  });
  // a reset, a broken session or our own abort
  stream.on('close', settle);
  return {
    write(req: Req): void {
      if (done || stream.destroyed) return;
      stream.write(frameMessage(method.serialize(req)));
    },
    end(): void {
      if (!done && !stream.destroyed) stream.end();
    },
    cancel(): void {
      done = true;
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    },
  };
}

/** grpc-message is percent-encoded (the gRPC HTTP/2 spec). */
function grpcMessage(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v.join(',') : (v ?? '');
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** One request, one response (a unary RPC) on an open session; rejects with the status on failure. */
export function unaryCall<Req, Res>(session: http2.ClientHttp2Session, method: GrpcMethod<Req, Res>, req: Req, metadata: Readonly<Record<string, string>> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    let res: Res | undefined;
    const call = startBidiCall<Req, Res>(
      session,
      method,
      {
        onMessage: (m) => {
          if (res !== undefined) {
            call.cancel();
            return reject(new Error('a unary call answered more than one message'));
          }
          res = m;
        },
        onEnd: () => (res !== undefined ? resolve(res) : reject(new Error('a unary call ended without a response'))),
        onError: (reason) => reject(new Error(reason)),
      },
      metadata,
    );
    call.write(req);
    call.end();
  });
}
