// CLI: the HTTP client of the control plane's API (/api/v1) — JSON in and out, author header, errors turned into ones the user can act on.
import http from 'node:http';
import https from 'node:https';
import type { Command } from 'commander';
import { defaultAuthor, type Io } from './io.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:15014';
const TIMEOUT_MS = 30_000;

/** One error as the server reports it; `path` names the resource/field when there is one. */
export interface ServerError {
  path?: string;
  message: string;
}

/** The server answered with a non-2xx status; `errors` holds every error it gave, for printing one per line. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly errors: ServerError[],
  ) {
    super(`the control plane answered HTTP ${status}`);
  }
}

/** Nothing answered at the server URL (refused, DNS, timeout). */
export class Unreachable extends Error {}

/** A mistake on the command line or in local files, reported as is. */
export class UsageError extends Error {}

export interface ServerFlags {
  server?: string;
  author?: string;
}

/** The two flags every verb that talks to the control plane takes. */
export function withServerFlags(cmd: Command): Command {
  return cmd
    .option('--server <url>', `control plane HTTP API (default $TRELLIS_SERVER or ${DEFAULT_SERVER})`)
    .option('--author <name>', 'recorded as the author of the change (default $USER)');
}

export type Query = Record<string, string | number | undefined>;

export class ApiClient {
  readonly server: string;
  readonly author: string;

  constructor(flags: ServerFlags, io: Io) {
    const raw = flags.server ?? io.env.TRELLIS_SERVER ?? DEFAULT_SERVER;
    const base = raw === '' ? DEFAULT_SERVER : raw;
    let url: URL;
    try {
      url = new URL(base.includes('://') ? base : `http://${base}`);
    } catch {
      throw new UsageError(`invalid --server URL "${base}"`);
    }
    this.server = url.toString().replace(/\/+$/, '');
    this.author = flags.author ?? defaultAuthor(io.env);
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, query, undefined);
  }

  post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return this.request<T>('POST', path, {}, body);
  }

  private async request<T>(method: string, path: string, query: Query, body: Record<string, unknown> | undefined): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'x-trellis-author': this.author };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: { status: number; text: string };
    try {
      res = await send(url, method, headers, body === undefined ? undefined : JSON.stringify(body));
    } catch (err) {
      throw new Unreachable(`cannot reach the control plane at ${this.server} (${describeNetworkError(err)}); is \`trellis control\` running? Set --server or TRELLIS_SERVER to point elsewhere`);
    }
    const parsed = parseJson(res.text);
    const ok = res.status >= 200 && res.status < 300;
    if (!ok) throw new ApiFailure(res.status, serverErrors(parsed, res.text, res.status));
    if (parsed === undefined) throw new ApiFailure(res.status, [{ message: `expected JSON from ${method} ${path}, got: ${res.text.slice(0, 200)}` }]);
    return parsed.value as T;
  }
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * node:http rather than fetch(): fetch refuses some ports outright ("bad port") and its pooled keep-alive sockets
 * can hold a finished CLI open; one request per process needs neither.
 */
function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: TIMEOUT_MS });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${TIMEOUT_MS / 1000}s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      // a reset mid-body is a failed request, not a truncated answer
      res.on('error', reject);
    });
    req.end(body);
  });
}

// the errno code (ECONNREFUSED …) is what tells the user what happened
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

/** Accepts the contract's `{errors: [{path, message}]}` and `{error}`, plus bare strings, so no error the server sends is lost. */
function serverErrors(parsed: { value: unknown } | undefined, text: string, status: number): ServerError[] {
  const v = parsed?.value;
  if (isRecord(v)) {
    if (Array.isArray(v.errors) && v.errors.length > 0) return v.errors.map(toServerError);
    if (typeof v.error === 'string') return [{ message: v.error }];
    if (typeof v.message === 'string') return [{ message: v.message }];
  }
  const body = text.trim();
  return [{ message: body === '' ? `HTTP ${status}` : body.slice(0, 500) }];
}

function toServerError(e: unknown): ServerError {
  if (typeof e === 'string') return { message: e };
  if (isRecord(e)) {
    const message = typeof e.message === 'string' ? e.message : JSON.stringify(e);
    return typeof e.path === 'string' && e.path !== '' ? { path: e.path, message } : { message };
  }
  return { message: String(e) };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
