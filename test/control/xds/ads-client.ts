// Test helpers: a bare ADS client (SotW and Delta streams) built from the shared protos, with awaitable responses.
import * as grpc from '@grpc/grpc-js';
import {
  adsServiceDefinition,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../../src/xds/ads-service.js';

type AdsClient = grpc.Client & {
  StreamAggregatedResources(): grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  DeltaAggregatedResources(): grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
};

export function adsClient(port: number, options?: grpc.ChannelOptions): AdsClient {
  const Ctor = grpc.makeGenericClientConstructor(adsServiceDefinition(), 'AggregatedDiscoveryService');
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as unknown as AdsClient;
}

/** One stream: send() requests, next() the next response (rejects after `ms`), none() asserts silence. */
export class Stream<Req, Res> {
  private readonly buffered: Res[] = [];
  private waiter: ((r: Res) => void) | undefined;
  ended = false;

  constructor(readonly call: grpc.ClientDuplexStream<Req, Res>) {
    call.on('data', (r: Res) => {
      const w = this.waiter;
      if (w !== undefined) {
        this.waiter = undefined;
        w(r);
      } else this.buffered.push(r);
    });
    call.on('error', () => {
      this.ended = true;
    });
    call.on('end', () => {
      this.ended = true;
    });
  }

  send(req: Req): void {
    this.call.write(req);
  }

  next(ms = 3000): Promise<Res> {
    const r = this.buffered.shift();
    if (r !== undefined) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no response within ${ms} ms`));
      }, ms);
      this.waiter = (res) => {
        clearTimeout(t);
        resolve(res);
      };
    });
  }

  /** Resolves with how many responses arrived in `ms` (and drops them). */
  async count(ms: number): Promise<Res[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.buffered.splice(0);
  }

  close(): void {
    this.call.cancel();
  }
}

export function sotw(client: AdsClient): Stream<DiscoveryRequest, DiscoveryResponse> {
  return new Stream(client.StreamAggregatedResources());
}

export function delta(client: AdsClient): Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  return new Stream(client.DeltaAggregatedResources());
}

export function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error('condition not met in time'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}
