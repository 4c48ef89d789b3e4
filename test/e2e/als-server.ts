// Test helper: an Envoy AccessLogService (envoy/service/accesslog/v3/als.proto) served by @grpc/grpc-js, recording
// every StreamAccessLogsMessage with the stream it came on.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { includeDirs } from '../../src/xds/proto-files.js';

export type Obj = Record<string, any>; // decoded messages, read field by field

export interface Received {
  stream: number;
  msg: Obj;
}

/** The access log service: every message it receives, tagged with the stream it came on. */
export class AlsServer {
  server: grpc.Server | undefined;
  port = 0;
  readonly received: Received[] = [];
  private streams = 0;
  private readonly service: grpc.ServiceDefinition;

  constructor() {
    const def = protoLoader.loadSync('envoy/service/accesslog/v3/als.proto', { keepCase: true, includeDirs: includeDirs(), longs: Number, enums: String, defaults: false, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { envoy: { service: { accesslog: { v3: { AccessLogService: { service: grpc.ServiceDefinition } } } } } };
    this.service = pkg.envoy.service.accesslog.v3.AccessLogService.service;
  }

  async start(port = 0): Promise<number> {
    const server = new grpc.Server();
    server.addService(this.service, {
      StreamAccessLogs: (call: grpc.ServerReadableStream<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) => {
        const stream = ++this.streams;
        call.on('data', (msg: Obj) => this.received.push({ stream, msg }));
        call.on('end', () => cb(null, {}));
        call.on('error', () => {});
      },
    });
    this.port = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    this.server = server;
    return this.port;
  }

  kill(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  /** HTTP entries of the log `name`, with the stream each came on. */
  http(name: string): { stream: number; entry: Obj }[] {
    return this.entries(name, 'http_logs');
  }

  tcp(name: string): { stream: number; entry: Obj }[] {
    return this.entries(name, 'tcp_logs');
  }

  private entries(name: string, kind: string): { stream: number; entry: Obj }[] {
    const logOf = new Map<number, string>();
    for (const r of this.received) if (r.msg.identifier !== undefined) logOf.set(r.stream, r.msg.identifier.log_name);
    return this.received.filter((r) => logOf.get(r.stream) === name && r.msg[kind] !== undefined).flatMap((r) => (r.msg[kind].log_entry as Obj[]).map((entry) => ({ stream: r.stream, entry })));
  }

  identifiers(): Obj[] {
    return this.received.filter((r) => r.msg.identifier !== undefined).map((r) => r.msg.identifier);
  }
}
