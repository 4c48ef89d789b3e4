// Test helper: an ADS stream on the authenticated port (15012) as a proxy opens it — TLS to the mesh CA, an identity token — with awaitable responses.
import type { ControlPlane } from '../../../src/control/server.js';
import { adsMethods } from '../../../src/proxy/xds/ads-methods.js';
import { AdsStream } from '../../../src/proxy/xds/ads-stream.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse } from '../../../src/xds/ads-service.js';

export type ProvenNode = { id: string; metadata: Record<string, unknown> };

/** A node as a proxy of `namespace` / `serviceAccount` sends it (what its token must match). */
export function provenNode(name: string, namespace: string, serviceAccount = 'default', type = 'router'): ProvenNode {
  return { id: `${type}~127.0.0.1~${name}.${namespace}~${namespace}.svc.cluster.local`, metadata: { NAMESPACE: namespace, SERVICE_ACCOUNT: serviceAccount } };
}

/** One stream; `first` is sent (with the node) when it opens; next() is the next response; closed says why it ended. */
export class AuthedStream<Req extends object, Res> {
  private readonly buffered: Res[] = [];
  private waiter: ((r: Res) => void) | undefined;
  closed: string | undefined;
  private readonly stream: AdsStream<Req, Res>;

  constructor(cp: ControlPlane, token: string, node: ProvenNode, first: Req, delta = false) {
    const m = (delta ? adsMethods('ads').delta : adsMethods('ads').sotw) as never;
    this.stream = new AdsStream<Req, Res>(m, { targets: [`127.0.0.1:${cp.xdsTlsPort}`], credentials: { ca: cp.ca.rootsPem(), token }, backoff: { baseMs: 60_000 } }, {
      onOpen: () => this.stream.send({ ...first, node }),
      onResponse: (r) => {
        const w = this.waiter;
        this.waiter = undefined;
        if (w !== undefined) w(r);
        else this.buffered.push(r);
      },
      onClose: (reason) => {
        this.closed = reason;
      },
    });
    this.stream.start();
  }

  send(req: Req): void {
    this.stream.send(req);
  }

  next(ms = 5000): Promise<Res> {
    const r = this.buffered.shift();
    if (r !== undefined) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no response within ${ms} ms${this.closed !== undefined ? ` (closed: ${this.closed})` : ''}`));
      }, ms);
      this.waiter = (r) => {
        clearTimeout(t);
        resolve(r);
      };
    });
  }

  close(): void {
    this.stream.close();
  }
}

export async function authedSotw(cp: ControlPlane, node: ProvenNode, first: DiscoveryRequest): Promise<AuthedStream<DiscoveryRequest, DiscoveryResponse>> {
  const meta = node.metadata as { NAMESPACE: string; SERVICE_ACCOUNT: string };
  const token = (await cp.identityTokens.sign({ namespace: meta.NAMESPACE, serviceAccount: meta.SERVICE_ACCOUNT }, 600)).token;
  return new AuthedStream(cp, token, node, first);
}

export async function authedDelta(cp: ControlPlane, node: ProvenNode, first: DeltaDiscoveryRequest): Promise<AuthedStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>> {
  const meta = node.metadata as { NAMESPACE: string; SERVICE_ACCOUNT: string };
  const token = (await cp.identityTokens.sign({ namespace: meta.NAMESPACE, serviceAccount: meta.SERVICE_ACCOUNT }, 600)).token;
  return new AuthedStream(cp, token, node, first, true);
}
