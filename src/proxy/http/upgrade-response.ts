// HTTP: reads the upstream's answer to an upgrade request — a 101 switches to a tunnel, any other final response becomes a bounded reply.
import { STATUS_CODES } from 'node:http';
import { HTTPParser, type LlhttpParser } from '../upstream/pool/http-parser.js';

/** Headers the proxy rewrites on a non-101 reply: its body is re-framed by content-length and the connection closes. */
const REPLY_FRAMING: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'content-length', 'trailer']);
/** A reply to HEAD keeps the upstream's content-length: it describes the GET response, not this one. */
const HEAD_REPLY_FRAMING: ReadonlySet<string> = new Set([...REPLY_FRAMING].filter((h) => h !== 'content-length'));

export type UpgradeAnswer =
  | { kind: 'pending' }
  /** 101: `head` goes to the client, then `rest` (tunnel bytes read with it); then bytes flow both ways. */
  | { kind: 'switch'; head: string; rest: Buffer }
  /** A final non-101 response, serialized with content-length and `connection: close`. */
  | { kind: 'reply'; status: number; head: string; body: Buffer }
  /** No usable answer: unparsable, body over the limit, or the upstream closed first. */
  | { kind: 'invalid'; reason: 'protocol-error' | 'too-large' | 'closed' };

const PENDING: UpgradeAnswer = { kind: 'pending' };

function headLines(status: number, raw: readonly string[], skip?: ReadonlySet<string>): string {
  let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (skip === undefined || !skip.has(raw[i].toLowerCase())) out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  return out;
}

export class UpgradeResponseReader {
  private readonly parser: LlhttpParser;
  private raw: string[] = [];
  private status = 0;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private tooLarge = false;
  private complete = false;
  private result: UpgradeAnswer | null = null;
  private freed = false;

  /** `headRequest`: the upgrade request was a HEAD, so no response to it has a body whatever its headers say. */
  constructor(
    private readonly maxBodyBytes: number,
    private readonly headRequest = false,
  ) {
    const p = new HTTPParser();
    p.initialize(HTTPParser.RESPONSE, {});
    // Once the answer is complete, whatever follows it in the same read is ignored.
    p[HTTPParser.kOnHeaders] = (raw: string[]): void => {
      if (this.complete) return;
      for (let i = 0; i < raw.length; i++) this.raw.push(raw[i]);
    };
    p[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, raw: string[] | undefined, _m: unknown, _u: unknown, status: number): number => {
      if (this.complete) return 0;
      if (raw !== undefined) for (let i = 0; i < raw.length; i++) this.raw.push(raw[i]);
      this.status = status;
      return headRequest ? 1 : 0; // 1: llhttp expects no body
    };
    p[HTTPParser.kOnBody] = (chunk: Buffer): void => {
      if (this.complete) return;
      this.bodyBytes += chunk.length;
      if (this.bodyBytes > this.maxBodyBytes) this.tooLarge = true;
      else this.body.push(Buffer.from(chunk)); // llhttp's chunk is a view of the read buffer
    };
    p[HTTPParser.kOnMessageComplete] = (): void => {
      if (this.complete) return;
      // 100 Continue, 102, 103 precede the real answer: forget them and keep reading.
      if (this.status >= 100 && this.status < 200 && this.status !== 101) this.resetMessage();
      else this.complete = true;
    };
    this.parser = p;
  }

  /** Feeds upstream bytes; once the answer is known, later calls return it again and read nothing. */
  feed(chunk: Buffer): UpgradeAnswer {
    if (this.result !== null) return this.result;
    const r = this.parser.execute(chunk);
    // llhttp stops right after a 101's head and returns where it stopped: the rest is the new protocol.
    if (this.status === 101 && typeof r === 'number') return this.settle({ kind: 'switch', head: headLines(101, this.raw) + '\r\n', rest: chunk.subarray(r) });
    if (this.complete || this.tooLarge) return this.check();
    if (r instanceof Error) return this.settle({ kind: 'invalid', reason: 'protocol-error' });
    return this.check();
  }

  /** The upstream closed its side: a body delimited by the close ends here. */
  end(): UpgradeAnswer {
    if (this.result !== null) return this.result;
    this.parser.finish(); // an error here only means the answer was cut short, which check() sees
    const a = this.check();
    return a.kind === 'pending' ? this.settle({ kind: 'invalid', reason: 'closed' }) : a;
  }

  /** Frees the parser (idempotent); call it when the exchange is over, never from inside feed(). */
  close(): void {
    if (this.result === null) this.result = { kind: 'invalid', reason: 'closed' };
    this.raw = [];
    this.body = [];
    if (this.freed) return;
    this.freed = true;
    this.parser.close();
  }

  private check(): UpgradeAnswer {
    if (this.tooLarge) return this.settle({ kind: 'invalid', reason: 'too-large' });
    if (!this.complete) return PENDING;
    const body = Buffer.concat(this.body);
    const head = this.headRequest
      ? headLines(this.status, this.raw, HEAD_REPLY_FRAMING) + 'connection: close\r\n\r\n'
      : headLines(this.status, this.raw, REPLY_FRAMING) + `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
    return this.settle({ kind: 'reply', status: this.status, head, body });
  }

  private settle(a: UpgradeAnswer): UpgradeAnswer {
    this.result = a;
    return a;
  }

  private resetMessage(): void {
    this.raw = [];
    this.status = 0;
    this.body = [];
    this.bodyBytes = 0;
  }
}
