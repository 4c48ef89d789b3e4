// Test and benchmark helper: a minimal Envoy-like ADS client (SotW or Delta) — subscribes CDS/LDS, follows with EDS/RDS
// (and VHDS) by name as Envoy does, ACKs every response and keeps the decoded resources.
import type * as grpc from '@grpc/grpc-js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse, XdsNode } from '../../../src/xds/ads-service.js';
import { decodeResource, type Any, type Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/xds/type-urls.js';
import { adsClient } from './ads-client.js';

/** Sidecar node metadata as `trellis proxy --control-plane` sends it. */
export function sidecarNode(name: string, ip: string, opts: { namespace?: string; labels?: string; service?: string; servicePort?: number; appPort?: number } = {}): XdsNode {
  const ns = opts.namespace ?? 'default';
  const metadata: Json = { NAMESPACE: ns, INSTANCE_IPS: ip, LABELS: opts.labels ?? '' };
  if (opts.service !== undefined) metadata.TRELLIS_SERVICE = opts.service;
  if (opts.servicePort !== undefined) metadata.TRELLIS_SERVICE_PORT = String(opts.servicePort);
  if (opts.appPort !== undefined) metadata.TRELLIS_APP_PORT = String(opts.appPort);
  return { id: `sidecar~${ip}~${name}.${ns}~${ns}.svc.cluster.local`, metadata };
}

export interface SimSidecarOptions {
  /** Which ADS RPC to use. Default 'sotw'. */
  api?: 'sotw' | 'delta';
  /**
   * Decodes one resource (default decodeResource); the benchmark shares the decode of identical bytes. `name` and
   * `version` come with the resource when the response gives them (Delta): a cheap key for bytes seen before.
   */
  decode?: (any: Any, name?: string, version?: string) => { name: string; json: Json };
  /** The string to keep for a resource name (the benchmark shares one per name among its sidecars). */
  intern?: (name: string) => string;
  /** Called after a response of `typeUrl` was applied and ACKed. */
  onResponse?: (typeUrl: string) => void;
  onError?: (e: Error) => void;
}

type Call = grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

function collect(v: unknown, key: string, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collect(x, key, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.add(x);
      else collect(x, key, out);
    }
  }
}

export class SimSidecar {
  /** type URL → name → decoded resource (VHDS virtual hosts under their `<route config>/<vhost>` names). */
  readonly resources = new Map<string, Map<string, Json>>();
  /** Type URL of every response received, in order. */
  readonly received: string[] = [];
  /** Types ACKed at least once. */
  readonly acked = new Set<string>();
  private readonly client: ReturnType<typeof adsClient>;
  private readonly call: Call;
  private readonly names = new Map<string, string[]>();
  private readonly versions = new Map<string, string>();
  private readonly nonces = new Map<string, string>();
  private readonly decode: (any: Any, name?: string, version?: string) => { name: string; json: Json };
  private first = true;

  constructor(
    port: number,
    private readonly node: XdsNode,
    private readonly opts: SimSidecarOptions = {},
  ) {
    this.decode = opts.decode ?? decodeResource;
    // one TCP connection per sidecar, as real proxies have (grpc-js would otherwise share one among all clients)
    this.client = adsClient(port, { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': -1 });
    if (opts.api === 'delta') {
      const call = this.client.DeltaAggregatedResources();
      call.on('data', (r: DeltaDiscoveryResponse) => this.onDelta(r));
      this.call = call;
    } else {
      const call = this.client.StreamAggregatedResources();
      call.on('data', (r: DiscoveryResponse) => this.onSotw(r));
      this.call = call;
    }
    this.call.on('error', (e: Error) => opts.onError?.(e));
    this.subscribe(CLUSTER_TYPE, []);
    this.subscribe(LISTENER_TYPE, []);
  }

  namesOf(typeUrl: string): string[] {
    return [...(this.resources.get(typeUrl)?.keys() ?? [])].sort();
  }

  get(typeUrl: string, name: string): Json | undefined {
    return this.resources.get(typeUrl)?.get(name);
  }

  /** Subscribed names of a type (EDS/RDS/VHDS follow CDS/LDS/RDS). */
  subscribed(typeUrl: string): readonly string[] {
    return this.names.get(typeUrl) ?? [];
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }

  private write(req: DiscoveryRequest | DeltaDiscoveryRequest): void {
    if (this.first) {
      req.node = this.node;
      this.first = false;
    }
    (this.call.write as (r: object) => boolean)(req);
  }

  private subscribe(typeUrl: string, names: string[]): void {
    const prev = this.names.get(typeUrl);
    if (prev !== undefined && prev.join(',') === names.join(',')) return;
    this.names.set(typeUrl, names);
    if (this.opts.api === 'delta') {
      const before = new Set(prev ?? []);
      const after = new Set(names);
      const req: DeltaDiscoveryRequest = {
        type_url: typeUrl,
        resource_names_subscribe: names.filter((n) => !before.has(n)),
        resource_names_unsubscribe: [...before].filter((n) => !after.has(n)),
      };
      if (prev !== undefined && req.resource_names_subscribe!.length === 0 && req.resource_names_unsubscribe!.length === 0) return;
      this.write(req);
      return;
    }
    const req: DiscoveryRequest = { type_url: typeUrl, resource_names: names };
    const v = this.versions.get(typeUrl);
    const n = this.nonces.get(typeUrl);
    if (v !== undefined) req.version_info = v;
    if (n !== undefined) req.response_nonce = n;
    this.write(req);
  }

  private held(typeUrl: string): Map<string, Json> {
    let m = this.resources.get(typeUrl);
    if (m === undefined) this.resources.set(typeUrl, (m = new Map()));
    return m;
  }

  private onSotw(r: DiscoveryResponse): void {
    const byName = new Map<string, Json>();
    for (const any of r.resources ?? []) {
      const d = this.decode(any);
      byName.set(this.opts.intern?.(d.name) ?? d.name, d.json);
    }
    if (r.type_url === CLUSTER_TYPE || r.type_url === LISTENER_TYPE) this.resources.set(r.type_url, byName);
    else {
      // EDS/RDS responses may carry only what changed (as Envoy does): keep the other subscribed resources
      const held = this.held(r.type_url);
      const subscribed = new Set(this.names.get(r.type_url) ?? []);
      for (const n of [...held.keys()]) if (!subscribed.has(n)) held.delete(n);
      for (const [n, j] of byName) held.set(n, j);
    }
    this.versions.set(r.type_url, r.version_info);
    this.nonces.set(r.type_url, r.nonce);
    this.write({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: this.names.get(r.type_url) ?? [] });
    this.applied(r.type_url);
  }

  private onDelta(r: DeltaDiscoveryResponse): void {
    const held = this.held(r.type_url);
    for (const res of r.resources ?? []) {
      if (res.resource === undefined || res.resource === null) continue;
      const d = this.decode(res.resource, res.name, res.version);
      // a shared decode's name is already one string for every sidecar (VHDS names differ: <route config>/<vhost>)
      held.set(d.name === res.name ? d.name : (this.opts.intern?.(res.name) ?? res.name), d.json);
    }
    for (const n of r.removed_resources ?? []) held.delete(n);
    this.write({ type_url: r.type_url, response_nonce: r.nonce });
    this.applied(r.type_url);
  }

  /** After a response: follow-up subscriptions, as Envoy makes them. */
  private applied(typeUrl: string): void {
    this.received.push(typeUrl);
    this.acked.add(typeUrl);
    const held = [...(this.resources.get(typeUrl)?.values() ?? [])];
    if (typeUrl === CLUSTER_TYPE) {
      this.subscribe(ENDPOINT_TYPE, held.filter((c) => c.type === 'EDS').map((c) => String(c.name)).sort());
    } else if (typeUrl === LISTENER_TYPE) {
      const routes = new Set<string>();
      collect(held, 'route_config_name', routes);
      this.subscribe(ROUTE_TYPE, [...routes].sort());
    } else if (typeUrl === ROUTE_TYPE) {
      const vhds = held.filter((rc) => rc.vhds !== undefined).map((rc) => String(rc.name));
      if (vhds.length > 0 || this.names.has(VIRTUAL_HOST_TYPE)) this.subscribe(VIRTUAL_HOST_TYPE, vhds.sort());
    }
    this.opts.onResponse?.(typeUrl);
  }
}
