// Serving: the certificate of the authenticated xDS/CA port — issued by the mesh CA to the control plane, renewed at half its life.
import os from 'node:os';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { CertificateAuthority } from '../ca/authority.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** The control plane's own identity in the mesh (Istio's istiod runs as istio-system/istiod). */
const CONTROL_PLANE_IDENTITY = { namespace: 'istio-system', serviceAccount: 'istiod' };

/** Names a client may dial this host by: the bound address, loopback, the host name, and every interface for a wildcard bind. */
function servingNames(host: string): { dns: string[]; ips: string[] } {
  const dns = new Set<string>(['localhost', os.hostname()]);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) ips.add(i.address.split('%')[0]!);
  } else if (net.isIP(host) !== 0) ips.add(host);
  else dns.add(host);
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

/**
 * A grpc-js certificate provider fed by the mesh CA: the serving certificate and the roots client certificates
 * must chain to. New handshakes see a renewed certificate or a changed trust bundle at once; open streams stay.
 */
export class ServingCertificate implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly idListeners = new Set<IdentityListener>();
  private identity: grpc.experimental.IdentityCertificateUpdate | undefined;
  private roots: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly ca: CertificateAuthority,
    private readonly names: { dns: string[]; ips: string[] },
    private readonly log: (msg: string) => void,
  ) {}

  static async start(ca: CertificateAuthority, host: string, log: (msg: string) => void): Promise<ServingCertificate> {
    const s = new ServingCertificate(ca, servingNames(host), log);
    await s.renew();
    return s;
  }

  /** Server credentials that ask for a client certificate but do not require one (a first connection brings a token). */
  credentials(): grpc.ServerCredentials {
    return grpc.experimental.createCertificateProviderServerCredentials(this, this, false);
  }

  /** Re-issues the serving certificate and re-reads the trust bundle (on a schedule, and after a root rotation). */
  async renew(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const issued = await this.ca.issueServing(CONTROL_PLANE_IDENTITY, this.names.dns, this.names.ips);
    this.identity = { certificate: Buffer.from(issued.certChainPem), privateKey: Buffer.from(issued.keyPem) };
    this.roots = Buffer.from(this.ca.rootsPem());
    for (const l of this.idListeners) l(this.identity);
    for (const l of this.caListeners) l({ caCertificate: this.roots });
    if (this.closed) return;
    const halfLife = Math.max(1000, (issued.expiresAt.getTime() - Date.now()) / 2);
    this.timer = setTimeout(() => {
      this.renew().catch((e: unknown) => this.log(`xds-tls: renewing the serving certificate failed: ${e instanceof Error ? e.message : String(e)}`));
    }, halfLife);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  // grpc-js registers its watcher only after adding the listener: the current value must arrive after this call returns
  addCaCertificateListener(l: CaListener): void {
    this.caListeners.add(l);
    queueMicrotask(() => {
      if (this.roots !== undefined && this.caListeners.has(l)) l({ caCertificate: this.roots });
    });
  }
  removeCaCertificateListener(l: CaListener): void {
    this.caListeners.delete(l);
  }
  addIdentityCertificateListener(l: IdentityListener): void {
    this.idListeners.add(l);
    queueMicrotask(() => {
      if (this.identity !== undefined && this.idListeners.has(l)) l(this.identity);
    });
  }
  removeIdentityCertificateListener(l: IdentityListener): void {
    this.idListeners.delete(l);
  }
}
