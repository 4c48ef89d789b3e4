// CLI: the HTTP client of the control plane's API (/api/v1) — JSON in and out, the admin credential and author header, errors turned into ones the user can act on.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
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

/** A command that could not do its job for a reason it can name (a process it started died, a port is taken): reported as is. */
export class CommandFailure extends Error {}

export interface ServerFlags {
  server?: string;
  author?: string;
  token?: string;
}

/** Where `trellis control` keeps its admin token by default (its --data-dir is ./.trellis), relative to the working directory. */
export const DEFAULT_TOKEN_FILE = path.join('.trellis', 'admin-token');

export const TOKEN_HINT = `pass the admin token with --token <token> or TRELLIS_TOKEN, or run from the directory holding ${DEFAULT_TOKEN_FILE} (\`trellis control\` prints the token file's path at start-up as "admin token: <path>")`;

/** The flags every verb that talks to the control plane takes. */
export function withServerFlags(cmd: Command): Command {
  return cmd
    .option('--server <url>', `control plane HTTP API (default $TRELLIS_SERVER or ${DEFAULT_SERVER})`)
    .option('--token <token>', `admin credential (default $TRELLIS_TOKEN, else ./${DEFAULT_TOKEN_FILE} when it exists)`);
}

/** The server flags, and --author: only verbs that change the config record an author. */
export function withWriteFlags(cmd: Command): Command {
  return withServerFlags(cmd).option('--author <name>', 'noted beside the authenticated identity as the author of the change (default $USER)');
}

/** --token, else $TRELLIS_TOKEN, else ./.trellis/admin-token when readable; undefined when none (reads need none). */
export function resolveToken(flags: ServerFlags, env: Io['env'], cwd = process.cwd()): string | undefined {
  const given = flags.token ?? env.TRELLIS_TOKEN;
  if (given !== undefined && given.trim() !== '') return given.trim();
  const file = path.resolve(cwd, DEFAULT_TOKEN_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`cannot read the admin token from ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const token = text.trim();
  return token === '' ? undefined : token;
}

export type Query = Record<string, string | number | undefined>;

export class ApiClient {
  readonly server: string;
  readonly author: string;
  private readonly token: string | undefined;

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
    this.token = resolveToken(flags, io.env);
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, query, undefined);
  }

  post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return this.request<T>('POST', path, {}, body);
  }

  /**
   * A streaming GET (tap): each NDJSON line goes to `onLine` as it arrives; resolves when the server ends the
   * stream or `signal` aborts it (Ctrl-C). Errors are reported as for any other request.
   */
  async stream(path: string, query: Query, onLine: (line: string) => void, signal?: AbortSignal, onHeaders?: (h: http.IncomingHttpHeaders) => void): Promise<void> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/x-ndjson' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    const transport = url.protocol === 'https:' ? https : http;
    await new Promise<void>((resolve, reject) => {
      const req = transport.request(url, { method: 'GET', headers });
      const abort = (): void => {
        req.destroy();
        resolve();
      };
      if (signal?.aborted === true) return resolve();
      signal?.addEventListener('abort', abort, { once: true });
      req.on('error', (err) => (signal?.aborted === true ? resolve() : reject(new Unreachable(`cannot reach the control plane at ${this.server} (${describeNetworkError(err)}); is \`trellis control\` running? Set --server or TRELLIS_SERVER to point elsewhere`))));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const parsed = parseJson(text);
            const errors = serverErrors(parsed, text, status);
            if (status === 401) errors.push({ message: this.token === undefined ? `no admin token was sent: ${TOKEN_HINT}` : `the admin token sent was refused; ${TOKEN_HINT}` });
            reject(new ApiFailure(status, errors));
          });
          return;
        }
        onHeaders?.(res.headers);
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          rest += chunk;
          let nl: number;
          while ((nl = rest.indexOf('\n')) >= 0) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            if (line.trim() !== '') onLine(line);
          }
        });
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      });
      req.end();
    });
  }

  private async request<T>(method: string, path: string, query: Query, body: Record<string, unknown> | undefined): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'x-trellis-author': this.author };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let res: { status: number; text: string };
    try {
      res = await send(url, method, headers, body === undefined ? undefined : JSON.stringify(body));
    } catch (err) {
      throw new Unreachable(`cannot reach the control plane at ${this.server} (${describeNetworkError(err)}); is \`trellis control\` running? Set --server or TRELLIS_SERVER to point elsewhere`);
    }
    const parsed = parseJson(res.text);
    const ok = res.status >= 200 && res.status < 300;
    if (res.status === 401) throw new ApiFailure(401, [...serverErrors(parsed, res.text, res.status), { message: this.token === undefined ? `no admin token was sent: ${TOKEN_HINT}` : `the admin token sent was refused; ${TOKEN_HINT}` }]);
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
