// Test helpers: a minimal Envoy-like SotW ADS client — subscribes CDS/LDS, follows with EDS/RDS by name, ACKs everything, keeps the decoded resources.
import type * as grpc from '@grpc/grpc-js';
import type { DiscoveryRequest, DiscoveryResponse, XdsNode } from '../../../src/xds/ads-service.js';
import { decodeResource, type Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/xds/type-urls.js';
import { adsClient } from '../xds/ads-client.js';

/** Sidecar node metadata as `trellis proxy --control-plane` sends it. */
export function sidecarNode(name: string, ip: string, opts: { namespace?: string; labels?: string; service?: string; servicePort?: number; appPort?: number } = {}): XdsNode {
  const ns = opts.namespace ?? 'default';
  const metadata: Json = { NAMESPACE: ns, INSTANCE_IPS: ip, LABELS: opts.labels ?? '' };
  if (opts.service !== undefined) metadata.TRELLIS_SERVICE = opts.service;
  if (opts.servicePort !== undefined) metadata.TRELLIS_SERVICE_PORT = String(opts.servicePort);
  if (opts.appPort !== undefined) metadata.TRELLIS_APP_PORT = String(opts.appPort);
  return { id: `sidecar~${ip}~${name}.${ns}~${ns}.svc.cluster.local`, metadata };
}

function collect(v: unknown, key: string, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collect(x, key, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.add(x);
      else collect(x, key, out);
    }
  }
}

export class MiniEnvoy {
  readonly resources = new Map<string, Map<string, Json>>();
  readonly responses: DiscoveryResponse[] = [];
  private readonly client: ReturnType<typeof adsClient>;
  private readonly call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  private readonly names = new Map<string, string[]>();
  private readonly versions = new Map<string, string>();
  private readonly nonces = new Map<string, string>();
  private first = true;

  constructor(
    port: number,
    private readonly node: XdsNode,
  ) {
    this.client = adsClient(port);
    this.call = this.client.StreamAggregatedResources();
    this.call.on('data', (r: DiscoveryResponse) => this.onResponse(r));
    this.call.on('error', () => {});
    this.subscribe(CLUSTER_TYPE, []);
    this.subscribe(LISTENER_TYPE, []);
  }

  namesOf(typeUrl: string): string[] {
    return [...(this.resources.get(typeUrl)?.keys() ?? [])].sort();
  }

  get(typeUrl: string, name: string): Json | undefined {
    return this.resources.get(typeUrl)?.get(name);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }

  private send(req: DiscoveryRequest): void {
    if (this.first) {
      req.node = this.node;
      this.first = false;
    }
    this.call.write(req);
  }

  private subscribe(typeUrl: string, names: string[]): void {
    const prev = this.names.get(typeUrl);
    if (prev !== undefined && prev.join(',') === names.join(',')) return;
    this.names.set(typeUrl, names);
    const req: DiscoveryRequest = { type_url: typeUrl, resource_names: names };
    const v = this.versions.get(typeUrl);
    const n = this.nonces.get(typeUrl);
    if (v !== undefined) req.version_info = v;
    if (n !== undefined) req.response_nonce = n;
    this.send(req);
  }

  private onResponse(r: DiscoveryResponse): void {
    this.responses.push(r);
    const byName = new Map<string, Json>();
    for (const any of r.resources) {
      const d = decodeResource(any);
      byName.set(d.name, d.json);
    }
    if (r.type_url === CLUSTER_TYPE || r.type_url === LISTENER_TYPE) this.resources.set(r.type_url, byName);
    else {
      // EDS/RDS responses may carry only what changed (as Envoy does): keep the other subscribed resources
      const held = this.resources.get(r.type_url) ?? new Map<string, Json>();
      const subscribed = new Set(this.names.get(r.type_url) ?? []);
      for (const n of [...held.keys()]) if (!subscribed.has(n)) held.delete(n);
      for (const [n, j] of byName) held.set(n, j);
      this.resources.set(r.type_url, held);
    }
    this.versions.set(r.type_url, r.version_info);
    this.nonces.set(r.type_url, r.nonce);
    this.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: this.names.get(r.type_url) ?? [] });
    if (r.type_url === CLUSTER_TYPE) {
      const eds = [...byName.values()].filter((c) => c.type === 'EDS').map((c) => String(c.name)).sort();
      this.subscribe(ENDPOINT_TYPE, eds);
    } else if (r.type_url === LISTENER_TYPE) {
      const routes = new Set<string>();
      collect([...byName.values()], 'route_config_name', routes);
      this.subscribe(ROUTE_TYPE, [...routes].sort());
    }
  }
}
