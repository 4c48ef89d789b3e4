// Test helpers: a small SotW xDS server (grpc-js + the shared protos) whose resources the test sets, recording every request;
// it serves ADS and, for separate LDS/CDS streams, ListenerDiscoveryService and ClusterDiscoveryService.
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition, typeServiceMethods, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from '../../../src/xds/ads-service.js';
import { encodeResource, type Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, LISTENER_TYPE } from '../../../src/xds/type-urls.js';

type Call = grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/** Per stream and type: what the client subscribed to and the last response sent. */
interface Sub {
  names: string[];
  nonce: string;
  version: string;
}

/** Which RPC a stream came on. */
export type XdsService = 'ads' | 'listener' | 'cluster';

interface StreamState {
  service: XdsService;
  call: Call;
  node: XdsNode | undefined;
  subs: Map<string, Sub>;
}

export interface Nack {
  typeUrl: string;
  version: string;
  message: string;
}

/** Resources per type: a fixed list, or a function of the node (to answer a CLI proxy with its own ports). */
export type ResourceSource = Json[] | ((node: XdsNode | undefined) => Json[]);

export class FakeAds {
  readonly requests: DiscoveryRequest[] = [];
  /** The RPC of each request in `requests` (same order). */
  readonly services: XdsService[] = [];
  readonly nacks: Nack[] = [];
  readonly streams = new Set<StreamState>();
  private readonly resources = new Map<string, ResourceSource>();
  private readonly versions = new Map<string, number>();
  private server: grpc.Server | undefined;
  private nonce = 0;
  private readonly waiters = new Set<() => void>();
  port = 0;

  /** Sets the resources of a type (bumping its version) and pushes them to every stream subscribed to it. */
  set(typeUrl: string, resources: ResourceSource): void {
    this.resources.set(typeUrl, resources);
    this.versions.set(typeUrl, (this.versions.get(typeUrl) ?? 0) + 1);
    for (const s of this.streams) if (s.subs.has(typeUrl)) this.send(s, typeUrl);
  }

  version(typeUrl: string): string {
    return `v${this.versions.get(typeUrl) ?? 0}`;
  }

  async listen(port = 0): Promise<number> {
    const server = new grpc.Server();
    server.addService(adsServiceDefinition(), { StreamAggregatedResources: (call: Call) => this.handle(call, 'ads'), DeltaAggregatedResources: (call: Call) => call.end() });
    const lds = typeServiceMethods('listener');
    server.addService({ StreamListeners: lds.sotw, DeltaListeners: lds.delta }, { StreamListeners: (call: Call) => this.handle(call, 'listener'), DeltaListeners: (call: Call) => call.end() });
    const cds = typeServiceMethods('cluster');
    server.addService({ StreamClusters: cds.sotw, DeltaClusters: cds.delta }, { StreamClusters: (call: Call) => this.handle(call, 'cluster'), DeltaClusters: (call: Call) => call.end() });
    this.server = server;
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e !== null ? reject(e) : resolve(p))),
    );
    return this.port;
  }

  /** Stops the server and cuts every stream (the control plane going away). */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.streams) s.call.destroy(new Error('control plane stopping'));
    this.streams.clear();
    if (server === undefined) return Promise.resolve();
    server.forceShutdown();
    return Promise.resolve();
  }

  /** Resolves when `pred` holds (re-checked on every request), rejects after `ms`. */
  waitFor(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(t);
        this.waiters.delete(check);
        resolve();
      };
      const t = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; requests: ${JSON.stringify(this.requests.map((r) => [r.type_url?.split('.').pop(), r.version_info, r.response_nonce, r.resource_names]))}`));
      }, ms);
      this.waiters.add(check);
    });
  }

  /** The ACK of the current version of `typeUrl` (on any stream). */
  acked(typeUrl: string): boolean {
    const v = this.version(typeUrl);
    return this.requests.some((r) => r.type_url === typeUrl && r.version_info === v && r.error_detail === undefined && r.response_nonce !== '');
  }

  private handle(call: Call, service: XdsService): void {
    const st: StreamState = { service, call, node: undefined, subs: new Map() };
    this.streams.add(st);
    call.on('data', (req: DiscoveryRequest) => this.onRequest(st, req));
    call.on('error', () => this.streams.delete(st));
    call.on('end', () => {
      this.streams.delete(st);
      call.end();
    });
  }

  private onRequest(st: StreamState, req: DiscoveryRequest): void {
    this.requests.push(req);
    this.services.push(st.service);
    if (req.node !== undefined && req.node !== null) st.node = req.node;
    const type = req.type_url ?? '';
    const names = [...(req.resource_names ?? [])].sort();
    const sub = st.subs.get(type);
    const nonce = req.response_nonce ?? '';
    if (req.error_detail !== undefined && req.error_detail !== null) {
      this.nacks.push({ typeUrl: type, version: sub?.version ?? '', message: req.error_detail.message ?? '' });
    }
    if (sub === undefined || nonce === '') {
      st.subs.set(type, { names, nonce: '', version: '' });
      this.send(st, type);
    } else if (nonce === sub.nonce && req.error_detail === undefined && names.join(',') !== sub.names.join(',')) {
      sub.names = names;
      this.send(st, type);
    } else if (nonce === sub.nonce) sub.names = names;
    for (const w of [...this.waiters]) w();
  }

  private send(st: StreamState, type: string): void {
    const sub = st.subs.get(type)!;
    const src = this.resources.get(type) ?? [];
    const all = typeof src === 'function' ? src(st.node) : src;
    const wildcard = type === CLUSTER_TYPE || type === LISTENER_TYPE;
    const wanted = new Set(sub.names);
    const chosen = all.filter((r) => wildcard || wanted.has(String(r.name ?? r.cluster_name)));
    sub.nonce = `n${++this.nonce}`;
    sub.version = this.version(type);
    st.call.write({ version_info: sub.version, type_url: type, nonce: sub.nonce, resources: chosen.map((r) => encodeResource(type, r)) });
  }
}
