// Test helpers: a small Delta ADS server (grpc-js + the shared protos) — per-resource versions, subscribe/unsubscribe, removals, VHDS namespaces; records every request.
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type DeltaResource, type XdsNode } from '../../../src/xds/ads-service.js';
import { encodeResource, type Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/xds/type-urls.js';

type Call = grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** A resource, or one sent under another name than its own (VHDS: `<route config>/<virtual host>`). */
export type DeltaItem = Json | { deltaName: string; resource: Json };

/** Per stream and type: what the client subscribed to and what the server believes it holds. */
interface Sub {
  wildcard: boolean;
  names: Set<string>;
  held: Map<string, string>;
  nonce: string;
}

interface StreamState {
  call: Call;
  node: XdsNode | undefined;
  subs: Map<string, Sub>;
}

export interface DeltaNack {
  typeUrl: string;
  nonce: string;
  message: string;
}

interface Built {
  name: string;
  version: string;
  res: DeltaResource;
}

function itemName(type: string, it: DeltaItem): string {
  if ('deltaName' in it && typeof it.deltaName === 'string') return it.deltaName;
  const j = it as Json;
  return String(type === ENDPOINT_TYPE ? j.cluster_name : j.name);
}

export class FakeDeltaAds {
  readonly requests: DeltaDiscoveryRequest[] = [];
  readonly responses: DeltaDiscoveryResponse[] = [];
  readonly nacks: DeltaNack[] = [];
  readonly streams = new Set<StreamState>();
  private readonly resources = new Map<string, DeltaItem[]>();
  private server: grpc.Server | undefined;
  private nonce = 0;
  private system = 0;
  private readonly waiters = new Set<() => void>();
  port = 0;

  /** Sets the resources of a type and pushes the differences to every stream subscribed to it. */
  set(typeUrl: string, items: DeltaItem[]): void {
    this.resources.set(typeUrl, items);
    this.system++;
    for (const s of this.streams) if (s.subs.has(typeUrl)) this.send(s, typeUrl, false, []);
  }

  /** Sends exactly this response to every stream subscribed to the type (resources as given, no diffing). */
  push(typeUrl: string, items: DeltaItem[], removed: string[] = []): string[] {
    const nonces: string[] = [];
    for (const s of this.streams) {
      const sub = s.subs.get(typeUrl);
      if (sub === undefined) continue;
      const built = items.map((it) => this.build(typeUrl, it));
      for (const b of built) sub.held.set(b.name, b.version);
      for (const r of removed) sub.held.delete(r);
      nonces.push(this.write(s, sub, typeUrl, built.map((b) => b.res), removed));
    }
    return nonces;
  }

  async listen(port = 0): Promise<number> {
    const server = new grpc.Server();
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
      DeltaAggregatedResources: (call: Call) => this.handle(call),
    });
    this.server = server;
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e !== null ? reject(e) : resolve(p))),
    );
    return this.port;
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.streams) s.call.destroy(new Error('control plane stopping'));
    this.streams.clear();
    server?.forceShutdown();
    return Promise.resolve();
  }

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
        const seen = this.requests.map((r) => [r.type_url?.split('.').pop(), r.response_nonce, r.resource_names_subscribe, r.resource_names_unsubscribe, r.error_detail?.message?.slice(0, 80)]);
        reject(new Error(`timed out waiting for ${what}; requests: ${JSON.stringify(seen)}`));
      }, ms);
      this.waiters.add(check);
    });
  }

  /** The last response of `typeUrl` (on any stream) was ACKed. */
  acked(typeUrl: string): boolean {
    const last = this.responses.filter((r) => r.type_url === typeUrl).at(-1);
    return last !== undefined && this.requests.some((q) => q.type_url === typeUrl && q.response_nonce === last.nonce && q.error_detail === undefined);
  }

  /** The per-resource version this server gives a resource (a hash of its encoding). */
  versionOf(typeUrl: string, item: DeltaItem): string {
    return this.build(typeUrl, item).version;
  }

  private handle(call: Call): void {
    const st: StreamState = { call, node: undefined, subs: new Map() };
    this.streams.add(st);
    call.on('data', (req: DeltaDiscoveryRequest) => this.onRequest(st, req));
    call.on('error', () => this.streams.delete(st));
    call.on('end', () => {
      this.streams.delete(st);
      call.end();
    });
  }

  private onRequest(st: StreamState, req: DeltaDiscoveryRequest): void {
    this.requests.push(req);
    if (req.node !== undefined && req.node !== null) st.node = req.node;
    const type = req.type_url ?? '';
    const subs = req.resource_names_subscribe ?? [];
    let sub = st.subs.get(type);
    let answer = false;
    if (sub === undefined) {
      sub = { wildcard: subs.length === 0 && (type === CLUSTER_TYPE || type === LISTENER_TYPE), names: new Set(), held: new Map(Object.entries(req.initial_resource_versions ?? {})), nonce: '' };
      st.subs.set(type, sub);
      answer = true;
    }
    const asked: string[] = [];
    for (const n of subs) {
      if (n === '*') sub.wildcard = true;
      else if (!sub.names.has(n)) {
        sub.names.add(n);
        asked.push(n);
        answer = true;
      }
    }
    for (const n of req.resource_names_unsubscribe ?? []) {
      sub.names.delete(n);
      for (const h of [...sub.held.keys()]) if (h === n || h.startsWith(`${n}/`)) sub.held.delete(h);
    }
    if (req.error_detail !== undefined && req.error_detail !== null) {
      this.nacks.push({ typeUrl: type, nonce: req.response_nonce ?? '', message: req.error_detail.message ?? '' });
    }
    if (answer) this.send(st, type, true, asked);
    for (const w of [...this.waiters]) w();
  }

  private build(type: string, it: DeltaItem): Built {
    const name = itemName(type, it);
    const json = 'deltaName' in it && typeof it.deltaName === 'string' ? (it.resource as Json) : (it as Json);
    const any = encodeResource(type, json);
    const version = createHash('sha256').update(any.value).digest('hex').slice(0, 12);
    return { name, version, res: { name, version, resource: any } };
  }

  private inScope(type: string, sub: Sub, name: string): boolean {
    if (sub.wildcard) return true;
    if (type === VIRTUAL_HOST_TYPE) return [...sub.names].some((n) => name.startsWith(`${n}/`));
    return sub.names.has(name);
  }

  /** What the client lacks: resources whose version differs from what it holds, and held names that are gone. */
  private send(st: StreamState, type: string, force: boolean, asked: string[]): void {
    const sub = st.subs.get(type)!;
    const all = (this.resources.get(type) ?? []).map((it) => this.build(type, it)).filter((b) => this.inScope(type, sub, b.name));
    const current = new Set(all.map((b) => b.name));
    const out: DeltaResource[] = [];
    for (const b of all) {
      if (sub.held.get(b.name) === b.version) continue;
      out.push(b.res);
      sub.held.set(b.name, b.version);
    }
    const removed: string[] = [];
    for (const n of [...sub.held.keys()]) {
      if (current.has(n)) continue;
      removed.push(n);
      sub.held.delete(n);
    }
    if (type !== VIRTUAL_HOST_TYPE) for (const n of asked) if (!current.has(n) && !removed.includes(n)) removed.push(n);
    if (!force && out.length === 0 && removed.length === 0) return;
    this.write(st, sub, type, out, removed);
  }

  private write(st: StreamState, sub: Sub, type: string, resources: DeltaResource[], removed: string[]): string {
    sub.nonce = `n${++this.nonce}`;
    const res: DeltaDiscoveryResponse = { system_version_info: `s${this.system}`, type_url: type, resources, removed_resources: removed, nonce: sub.nonce };
    this.responses.push(res);
    st.call.write(res);
    return sub.nonce;
  }
}
