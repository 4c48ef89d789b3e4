// HTTP API: request/response plumbing — JSON bodies with a size limit, typed HTTP errors, JSON and text replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigError } from '../../common/result.js';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Thrown by handlers; the server turns it into `{ error }` or `{ errors }` with the status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: readonly ConfigError[],
    /** Extra response headers (a 401's WWW-Authenticate). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  /** A JSON value (serialized) or raw text (metrics). */
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
  /** Set only by a route that checked the admin credential and was asked to show secrets; every other reply is redacted. */
  revealSecrets?: boolean;
  /** A streaming route (tap) writes the response itself; nothing else in the reply is sent. */
  stream?: (res: ServerResponse) => void;
}

export function ok(json: unknown, status = 200): Reply {
  return { status, json };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body as a JSON object; anything else is a 400 naming what was wrong. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') throw new HttpError(400, 'request body must be a JSON object, got an empty body');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    // V8 quotes a piece of the input ("abc"...): the body may be a secret, so the quote is cut
    const reason = (e instanceof Error ? e.message : String(e)).replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, '…');
    throw new HttpError(400, `request body is not valid JSON: ${reason}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'request body must be a JSON object');
  return v as Record<string, unknown>;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `"${field}" must be a string`);
  return v;
}

export function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new HttpError(400, `"${field}" must be a boolean`);
  return v;
}

/** A non-negative integer from a query parameter or body field (strings of digits accepted for query strings). */
export function parseRevision(v: unknown, field: string, required: boolean): number | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) throw new HttpError(400, `"${field}" is required`);
    return undefined;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, `"${field}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

export function send(res: ServerResponse, reply: Reply): void {
  if (reply.stream !== undefined) return reply.stream(res);
  if (reply.text !== undefined) {
    res.writeHead(reply.status, { ...reply.headers, 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' });
    res.end(reply.text);
    return;
  }
  const body = JSON.stringify(reply.json ?? null);
  res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function errorReply(e: HttpError): Reply {
  const reply: Reply = e.errors !== undefined ? { status: e.status, json: { errors: e.errors } } : { status: e.status, json: { error: e.message } };
  return e.headers !== undefined ? { ...reply, headers: e.headers } : reply;
}
