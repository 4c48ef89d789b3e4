// Network filters: mysql_proxy's decoder — MySQL packet framing (3-byte length, sequence id), the handshake (greeting,
// login, OK / ERR / auth switch, SSL upgrade) and COM_QUERY, counted into Envoy's mysql.<stat_prefix>.* counters.
import type { Counter } from '../../../telemetry/stats.js';
import { Deframer, SniffError, type FrameFormat } from '../../sniff/deframer.js';
import type { ProtocolDecoder } from '../../sniff/sniffer-filter.js';
import { looksLikeSqlStatement } from '../../sniff/sql-keyword.js';

export interface MysqlCounters {
  readonly sessions: Counter;
  readonly loginAttempts: Counter;
  readonly loginFailures: Counter;
  readonly decoderErrors: Counter;
  readonly protocolErrors: Counter;
  readonly upgradedToSsl: Counter;
  readonly authSwitchRequest: Counter;
  readonly queriesParsed: Counter;
  readonly queriesParseError: Counter;
}

/** A packet of this payload size is continued by the next one (a payload of 16 MiB or more). */
const MAX_PAYLOAD = 0xffffff;
/** Payload bytes looked at per packet: enough for handshake fields and a query's first keyword. */
const KEEP = 256;
const PROTOCOL_VERSION_10 = 10;
const CLIENT_COMPRESS = 0x20;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
/** A HandshakeResponse cut short after the capability flags, max packet size, charset and filler: SSLRequest. */
const SSL_REQUEST_BYTES = 32;
const OK = 0x00;
const AUTH_MORE_DATA = 0x01;
const AUTH_SWITCH = 0xfe;
const ERR = 0xff;
const COM_QUERY = 0x03;
const COM_CHANGE_USER = 0x11;

const PACKET: FrameFormat = { headerBytes: 4, payloadBytes: (h) => h[0]! | (h[1]! << 8) | (h[2]! << 16) };

type Phase = 'greeting' | 'login' | 'auth' | 'command';

export class MysqlDecoder implements ProtocolDecoder {
  stopped = false;
  private phase: Phase = 'greeting';
  /** Sequence id the next packet should carry (either direction: they alternate within one exchange). */
  private expectedSeq = 0;
  private clientContinues = false;
  private serverContinues = false;
  private compress = false;
  private readonly client = new Deframer(PACKET, KEEP, (h, p, n) => this.onPacket(true, h[3]!, p, n));
  private readonly server = new Deframer(PACKET, KEEP, (h, p, n) => this.onPacket(false, h[3]!, p, n));

  constructor(private readonly c: MysqlCounters) {}

  fromClient(data: Buffer): void {
    this.client.push(data);
  }

  fromServer(data: Buffer): void {
    this.server.push(data);
  }

  private onPacket(fromClient: boolean, seq: number, payload: Buffer, size: number): void {
    if (this.stopped) return;
    const continuation = fromClient ? this.clientContinues : this.serverContinues;
    if (fromClient) this.clientContinues = size === MAX_PAYLOAD;
    else this.serverContinues = size === MAX_PAYLOAD;
    // A client packet with sequence 0 after login starts a new command exchange.
    if (fromClient && this.phase === 'command' && seq === 0 && !continuation) this.expectedSeq = 1;
    else {
      if (seq !== this.expectedSeq) this.c.protocolErrors.inc();
      this.expectedSeq = (seq + 1) & 0xff;
    }
    if (continuation) return;
    switch (this.phase) {
      case 'greeting':
        return this.onGreeting(fromClient, payload);
      case 'login':
        return this.onLogin(fromClient, payload, size);
      case 'auth':
        return this.onAuthReply(fromClient, payload);
      case 'command':
        if (fromClient && seq === 0) this.onCommand(payload);
        return;
    }
  }

  private onGreeting(fromClient: boolean, p: Buffer): void {
    if (fromClient) {
      this.c.protocolErrors.inc(); // MySQL is server-first
      return;
    }
    if (p[0] === ERR) {
      this.stopped = true; // refused before the handshake (too many connections, host blocked)
      return;
    }
    if (p[0] !== PROTOCOL_VERSION_10 || p.indexOf(0, 1) < 0) throw new SniffError('not a protocol 10 greeting');
    this.phase = 'login';
  }

  private onLogin(fromClient: boolean, p: Buffer, size: number): void {
    if (!fromClient) {
      this.c.protocolErrors.inc();
      return;
    }
    if (p.length < 2) throw new SniffError('short handshake response');
    let caps = p.readUInt16LE(0);
    if ((caps & CLIENT_PROTOCOL_41) !== 0) {
      if (p.length < 4) throw new SniffError('short handshake response');
      caps = p.readUInt32LE(0);
    }
    if ((caps & CLIENT_SSL) !== 0 && size === SSL_REQUEST_BYTES) {
      this.c.upgradedToSsl.inc();
      this.stopped = true; // the rest of the session is TLS
      return;
    }
    this.c.loginAttempts.inc();
    this.compress = (caps & CLIENT_COMPRESS) !== 0;
    this.phase = 'auth';
  }

  private onAuthReply(fromClient: boolean, p: Buffer): void {
    if (fromClient) return; // auth switch response / more auth data
    switch (p[0]) {
      case OK:
        // after a compressed login every packet is wrapped in compression frames: nothing more to read
        if (this.compress) this.stopped = true;
        else this.phase = 'command';
        return;
      case ERR:
        this.c.loginFailures.inc();
        this.stopped = true;
        return;
      case AUTH_SWITCH:
        this.c.authSwitchRequest.inc();
        return;
      case AUTH_MORE_DATA:
        return;
      default:
        throw new SniffError(`unexpected authentication reply 0x${(p[0] ?? 0).toString(16)}`);
    }
  }

  private onCommand(p: Buffer): void {
    const cmd = p[0];
    if (cmd === COM_QUERY) {
      (looksLikeSqlStatement(p.toString('utf8', 1)) ? this.c.queriesParsed : this.c.queriesParseError).inc();
    } else if (cmd === COM_CHANGE_USER) {
      this.c.loginAttempts.inc();
      this.phase = 'auth';
    }
  }
}
