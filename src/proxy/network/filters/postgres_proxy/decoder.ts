// Network filters: postgres_proxy's decoder — the v3 frontend/backend protocol (untyped startup / SSLRequest, then
// typed messages), counting logins, messages, statements (from CommandComplete tags), transactions, errors and notices.
import type { Counter } from '../../../telemetry/stats.js';
import { Deframer, SniffError, type FrameFormat } from '../../sniff/deframer.js';
import type { ProtocolDecoder } from '../../sniff/sniffer-filter.js';
import { looksLikeSqlStatement } from '../../sniff/sql-keyword.js';

export const POSTGRES_COUNTERS = [
  'errors', 'errors_error', 'errors_fatal', 'errors_panic', 'errors_unknown',
  'messages', 'messages_backend', 'messages_frontend', 'messages_unknown',
  'sessions', 'sessions_encrypted', 'sessions_unencrypted',
  'statements', 'statements_delete', 'statements_insert', 'statements_select', 'statements_update', 'statements_other',
  'transactions', 'transactions_commit', 'transactions_rollback',
  'queries_parsed', 'queries_parse_error',
  'notices', 'notices_notice', 'notices_log', 'notices_warning', 'notices_debug', 'notices_info', 'notices_unknown',
] as const;

export type PostgresCounters = Readonly<Record<(typeof POSTGRES_COUNTERS)[number], Counter>>;

/** Bytes looked at per message: a CommandComplete tag, the severity fields of an error, a query's first keyword. */
const KEEP = 256;
/** Postgres refuses longer startup packets. */
const MAX_STARTUP_BYTES = 10000;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 3;

/** StartupMessage, SSLRequest, GSSENCRequest, CancelRequest: Int32 length (itself included), then a code. */
const UNTYPED: FrameFormat = {
  headerBytes: 4,
  payloadBytes: (h) => {
    const len = h.readUInt32BE(0);
    if (len < 8 || len > MAX_STARTUP_BYTES) throw new SniffError(`startup packet of ${len} bytes`);
    return len - 4;
  },
};
/** Every other message: a type byte, then Int32 length (itself included). */
const TYPED: FrameFormat = {
  headerBytes: 5,
  payloadBytes: (h) => {
    const len = h.readUInt32BE(1);
    if (len < 4) throw new SniffError(`message length ${len}`);
    return len - 4;
  },
};
/** The server's one-byte answer to SSLRequest / GSSENCRequest. */
const ENCRYPTION_REPLY: FrameFormat = { headerBytes: 1, payloadBytes: () => 0 };

const FRONTEND_TYPES = new Set('BCdcfDEHFpPQSX');
const BACKEND_TYPES = new Set('RK23CdcGHWDIEVvnNAtS1sZT');

const STATEMENT_KINDS: Readonly<Record<string, 'statements_select' | 'statements_insert' | 'statements_update' | 'statements_delete'>> = {
  SELECT: 'statements_select',
  INSERT: 'statements_insert',
  UPDATE: 'statements_update',
  DELETE: 'statements_delete',
};
const ERROR_KINDS: Readonly<Record<string, 'errors_error' | 'errors_fatal' | 'errors_panic'>> = { ERROR: 'errors_error', FATAL: 'errors_fatal', PANIC: 'errors_panic' };
const NOTICE_KINDS: Readonly<Record<string, 'notices_warning' | 'notices_notice' | 'notices_debug' | 'notices_info' | 'notices_log'>> = {
  WARNING: 'notices_warning',
  NOTICE: 'notices_notice',
  DEBUG: 'notices_debug',
  INFO: 'notices_info',
  LOG: 'notices_log',
};

/** A NUL-terminated string at `at` (to the end of what was kept when the NUL is past it). */
function cstring(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end < 0 ? b.length : end);
}

/** Severity of an ErrorResponse / NoticeResponse: the non-localized V field (9.6+), else S; undefined when S is not first. */
function severity(p: Buffer): string | undefined {
  if (p[0] !== 0x53 /* S */) return undefined;
  let s: string | undefined;
  let i = 0;
  while (i < p.length && p[i] !== 0) {
    const code = p[i]!;
    const end = p.indexOf(0, i + 1);
    if (end < 0) break;
    const v = p.toString('utf8', i + 1, end);
    if (code === 0x56 /* V */) return v;
    if (code === 0x53) s = v;
    i = end + 1;
  }
  return s;
}

export class PostgresDecoder implements ProtocolDecoder {
  stopped = false;
  private inTransaction = false;
  private readonly frontend = new Deframer(UNTYPED, KEEP, (h, p) => this.onFrontend(h, p));
  private readonly backend = new Deframer(TYPED, KEEP, (h, p, n) => this.onBackend(h, p, n));

  constructor(
    private readonly c: PostgresCounters,
    private readonly sqlParsing: boolean,
  ) {}

  fromClient(data: Buffer): void {
    this.frontend.push(data);
  }

  fromServer(data: Buffer): void {
    this.backend.push(data);
  }

  private frontendMessage(): void {
    this.c.messages.inc();
    this.c.messages_frontend.inc();
  }

  private onFrontend(h: Buffer, p: Buffer): void {
    if (this.stopped) return;
    if (this.frontend.format === UNTYPED) return this.onStartup(p);
    this.frontendMessage();
    const type = String.fromCharCode(h[0]!);
    if (!FRONTEND_TYPES.has(type)) {
      this.c.messages_unknown.inc();
      return;
    }
    if (type === 'Q' && this.sqlParsing) this.countQuery(cstring(p, 0));
    else if (type === 'P' && this.sqlParsing) {
      const nameEnd = p.indexOf(0);
      this.countQuery(nameEnd < 0 ? '' : cstring(p, nameEnd + 1));
    } else if (type === 'X' && this.inTransaction) {
      this.inTransaction = false;
      this.c.transactions_rollback.inc();
    }
  }

  private onStartup(p: Buffer): void {
    const code = p.readUInt32BE(0);
    this.frontendMessage();
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.backend.format = ENCRYPTION_REPLY; // the client sends nothing more until the server answers
      return;
    }
    if (code === CANCEL_REQUEST) {
      this.stopped = true;
      return;
    }
    if (code >>> 16 !== PROTOCOL_3) throw new SniffError(`protocol version ${code >>> 16}`);
    this.frontend.format = TYPED;
  }

  private onBackend(h: Buffer, p: Buffer, size: number): void {
    if (this.stopped) return;
    if (this.backend.format === ENCRYPTION_REPLY) return this.onEncryptionReply(h[0]!);
    this.c.messages.inc();
    this.c.messages_backend.inc();
    const type = String.fromCharCode(h[0]!);
    switch (type) {
      case 'R':
        // AuthenticationOk: an Int32 0 and nothing else
        if (size === 4 && p.readInt32BE(0) === 0) {
          this.c.sessions.inc();
          this.c.sessions_unencrypted.inc();
        }
        return;
      case 'C':
        return this.onCommandComplete(cstring(p, 0));
      case 'E':
        this.c.errors.inc();
        this.c[ERROR_KINDS[severity(p) ?? ''] ?? 'errors_unknown'].inc();
        return;
      case 'N':
        this.c.notices.inc();
        this.c[NOTICE_KINDS[severity(p) ?? ''] ?? 'notices_unknown'].inc();
        return;
      default:
        if (!BACKEND_TYPES.has(type)) this.c.messages_unknown.inc();
    }
  }

  private onEncryptionReply(b: number): void {
    if (b === 0x53 /* S */ || b === 0x47 /* G */) {
      this.c.sessions.inc();
      this.c.sessions_encrypted.inc();
      this.stopped = true; // TLS or GSSAPI from here on
      return;
    }
    if (b !== 0x4e /* N */) throw new SniffError('unexpected answer to an encryption request');
    this.backend.format = TYPED; // plaintext: the client goes on with a StartupMessage (or another request)
  }

  /** Envoy's accounting: statements by tag; outside BEGIN…COMMIT each statement is its own committed transaction. */
  private onCommandComplete(tag: string): void {
    const space = tag.indexOf(' ');
    const word = space < 0 ? tag : tag.slice(0, space);
    const c = this.c;
    c.statements.inc();
    const kind = STATEMENT_KINDS[word];
    if (kind !== undefined) {
      c[kind].inc();
      c.transactions.inc();
      c.transactions_commit.inc();
      return;
    }
    c.statements_other.inc();
    if (word === 'BEGIN' || word === 'START') {
      c.transactions.inc();
      this.inTransaction = true;
    } else if (word === 'COMMIT') {
      c.transactions_commit.inc();
      this.inTransaction = false;
    } else if (word === 'ROLLBACK') {
      c.transactions_rollback.inc();
      this.inTransaction = false;
    } else {
      c.transactions.inc();
      c.transactions_commit.inc();
    }
  }

  private countQuery(sql: string): void {
    (looksLikeSqlStatement(sql) ? this.c.queries_parsed : this.c.queries_parse_error).inc();
  }
}
