// Workload identity: the proxy's certificate agent — makes a key that never leaves the process, gets it certified by the mesh CA,
// installs it as the SDS secret `default`, and renews it at half its lifetime (Istio's SECRET_GRACE_PERIOD_RATIO).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createCsr } from '../../common/pki/csr.js';
import type { SecretManager } from '../tls/secret-manager.js';
import { Backoff } from '../xds/backoff.js';
import type { KeyPair } from '../xds/xds-credentials.js';

/** Istio's names: the workload certificate and the mesh roots, as SDS secrets TLS contexts refer to. */
export const WORKLOAD_SECRET = 'default';
export const ROOT_SECRET = 'ROOTCA';

/** Sends a CSR, resolves with the PEM chain the CA answered (leaf first, roots last). */
export type CertificateRequester = (csrPem: string) => Promise<string[]>;

export interface WorkloadAgentOptions {
  request: CertificateRequester;
  secrets: SecretManager;
  log?: (msg: string) => void;
  /** Renew when this fraction of the lifetime is left (default 0.5). */
  graceRatio?: number;
  now?: () => number;
  /** Retry delays after a failed request (default 1 s .. 30 s, jittered). */
  backoff?: Backoff;
}

interface Held extends KeyPair {
  spiffe: string;
  notAfter: number;
  /** The last certificate of our chain: the one a root must have issued. */
  top: X509Certificate;
  /** The control plane no longer accepts it as proof of identity (its root was retired). */
  refused?: boolean;
}

function selfSigned(c: X509Certificate): boolean {
  return c.subject === c.issuer && c.checkIssued(c);
}

/** The leaf (must be for our key) and its intermediates; self-signed roots are left out (peers trust them through ROOTCA). */
export function checkChain(chainPem: readonly string[], keyPem: string): { chain: string; leaf: X509Certificate; top: X509Certificate } {
  if (chainPem.length === 0) throw new Error('the CA answered no certificate');
  const certs = chainPem.map((p) => new X509Certificate(p));
  const leaf = certs[0]!;
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the certificate the CA answered is not for our key');
  const kept = certs.filter((c, i) => i === 0 || !selfSigned(c));
  const chain = chainPem.filter((_, i) => i === 0 || !selfSigned(certs[i]!)).map((p) => `${p.trim()}\n`).join('');
  return { chain, leaf, top: kept[kept.length - 1]! };
}

export class WorkloadCertificateAgent {
  private held: Held | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private renewing = false;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private firstWaiters: Array<() => void> = [];

  constructor(private readonly opts: WorkloadAgentOptions) {
    this.backoff = opts.backoff ?? new Backoff({ baseMs: 1000, maxMs: 30_000 });
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
  }

  start(): void {
    void this.renew();
  }

  /** The certificate and key while the certificate is valid (the ADS connection presents it instead of the token). */
  current(): KeyPair | undefined {
    const h = this.held;
    return h !== undefined && h.refused !== true && h.notAfter > this.now() ? { cert: h.cert, key: h.key } : undefined;
  }

  /**
   * The control plane refused our certificate (a root rotation retired its root while this proxy was away): until a
   * renewal succeeds the connections present the token instead, and the renewal starts now.
   */
  refused(): void {
    const h = this.held;
    if (h === undefined || h.refused === true || this.closed) return;
    h.refused = true;
    this.log('identity: the control plane refused the workload certificate; proving identity with the token and renewing now');
    if (this.renewing) return; // the request under way fails the same way and retries with the token
    if (this.timer !== undefined) clearTimeout(this.timer);
    void this.renew();
  }

  /** Resolves once the first certificate is installed. */
  ready(): Promise<void> {
    if (this.held !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.firstWaiters.push(resolve));
  }

  /**
   * The mesh roots changed (ROOTCA over SDS). The control plane lists the root it signs with first: when that is not
   * the root our certificate chains to, a root rotation is under way and we renew now rather than at half life.
   */
  trustBundleChanged(bundlePem: string): void {
    const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(bundlePem)?.[0];
    const h = this.held;
    if (first === undefined || h === undefined || this.closed || this.renewing) return;
    const root = new X509Certificate(first);
    if (h.top.fingerprint256 === root.fingerprint256 || (h.top.checkIssued(root) && h.top.verify(root.publicKey))) return;
    this.log(`identity: the mesh signs with a new root; renewing the workload certificate now`);
    if (this.timer !== undefined) clearTimeout(this.timer);
    void this.renew();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const w of this.firstWaiters.splice(0)) w();
  }

  private async renew(): Promise<void> {
    this.timer = undefined;
    this.renewing = true;
    try {
      const { keyPem, csrPem } = await createCsr();
      const answer = await this.opts.request(csrPem);
      if (this.closed) return;
      const { chain, leaf, top } = checkChain(answer, keyPem);
      const notAfter = new Date(leaf.validTo).getTime();
      const spiffe = /URI:([^,\s]+)/.exec(leaf.subjectAltName ?? '')?.[1] ?? '(no URI SAN)';
      this.held = { cert: chain, key: keyPem, spiffe, notAfter, top };
      this.opts.secrets.set(WORKLOAD_SECRET, { tls_certificate: { certificate_chain: chain, private_key: keyPem } });
      this.log(`identity: workload certificate ${spiffe} serial ${leaf.serialNumber} until ${new Date(notAfter).toISOString()}`);
      this.backoff.reset();
      for (const w of this.firstWaiters.splice(0)) w();
      const left = notAfter - this.now();
      this.schedule(Math.max(1000, left * (1 - (this.opts.graceRatio ?? 0.5))));
    } catch (e) {
      if (this.closed) return;
      const delay = this.backoff.next();
      this.log(`identity: certificate request failed (${e instanceof Error ? e.message : String(e)}); retrying in ${delay} ms`);
      this.schedule(delay);
    } finally {
      this.renewing = false;
    }
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.renew(), Math.min(ms, 2 ** 31 - 1)); // setTimeout wraps past ~24.8 days
    this.timer.unref();
  }
}
