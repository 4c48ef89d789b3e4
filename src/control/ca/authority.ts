// Certificate authority: signs workload certificates (X.509 SVIDs) from CSRs; the identity comes from the caller, never the CSR.
import { X509Certificate } from 'node:crypto';
import { spiffeId, type WorkloadIdentity } from '../auth/identity-token.js';
import type { CaMaterial } from './material.js';

export type { WorkloadIdentity };
import { CaMetrics } from './metrics.js';
import { serialNumber } from './root.js';
import { EC_P256, exportKeyPem, importSigningKey, subtle, x509 } from '../../common/pki/x509.js';

export interface IssuedCertificate {
  /** The SVID, then the intermediates up to (not including) the root. */
  certChainPem: string;
  /** Every root the mesh trusts. */
  rootsPem: string;
  /** The SPIFFE id in the URI SAN. */
  spiffeId: string;
  serial: string;
  expiresAt: Date;
}

/** The newest SVID issued to one identity (what the dashboard shows as a proxy's certificate expiry). */
export interface IssuedRecord {
  spiffeId: string;
  serial: string;
  issuedAt: Date;
  expiresAt: Date;
}

export const DEFAULT_SVID_TTL_MS = 24 * 3600 * 1000;
/** Clocks of peers disagree a little: a certificate is valid from slightly before its issuance. */
const BACKDATE_MS = 5 * 60 * 1000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class CsrError extends Error {}

export class CertificateAuthority {
  /** CSRs received, certificates issued, CSRs refused (Citadel's metric names). */
  readonly metrics = new CaMetrics(() => this.signerExpiry());

  /** Issuances per identity (`ns/sa`) since the signer last changed: how a root rotation knows every workload moved. */
  private issuedSinceSwitch = new Map<string, number>();
  /** The newest SVID per identity (`ns/sa`); bounded by the number of identities that ever asked. */
  private readonly newestIssued = new Map<string, IssuedRecord>();

  private constructor(
    readonly trustDomain: string,
    private signing: Signer,
    /** Every root the mesh trusts, the active signer's root first (several during a root rotation). */
    private roots: string[],
    private readonly log: (msg: string) => void,
  ) {}

  static async open(trustDomain: string, material: CaMaterial, log: (msg: string) => void = () => {}): Promise<CertificateAuthority> {
    return new CertificateAuthority(trustDomain, await signerOf(material), activeFirst(material.rootsPem, material), log);
  }

  /** The signing material now (what the data dir keeps). */
  get material(): CaMaterial {
    return { ...this.signing.material, rootsPem: [...this.roots] };
  }

  /** The trusted roots, PEM, one after another, the active one first (what `trellis ca root` prints). */
  rootsPem(): string {
    return this.roots.map((p) => `${p.trim()}\n`).join('');
  }

  /** Trust `root` too (the first step of a root rotation): certificates it signs will verify everywhere before any is issued. */
  trustRoot(root: string): void {
    if (!this.roots.some((r) => r.trim() === root.trim())) this.roots = [...this.roots, root];
  }

  /** Sign with `material` from now on; its root must be trusted already (trustRoot), and is listed first. */
  async switchSigner(material: CaMaterial): Promise<void> {
    const root = material.rootsPem[0]!;
    if (!this.roots.some((r) => r.trim() === root.trim())) throw new Error('the new signer\'s root is not trusted yet');
    this.signing = await signerOf(material);
    this.roots = activeFirst(this.roots, material);
    this.issuedSinceSwitch = new Map();
    this.log(`ca: now signing with ${new X509Certificate(material.certPem).subject.replace(/\n/g, ', ')}`);
  }

  /** Stop trusting every root but the active signer's (the last step of a root rotation). */
  retireOtherRoots(): string[] {
    const keep = this.roots[0]!;
    const retired = this.roots.slice(1);
    this.roots = [keep];
    return retired;
  }

  /**
   * Become `material` whole — its signer and exactly its roots — as another replica left it after a rotation step
   * (replicas sharing a store); false when nothing changes. The signer's root must be among the roots.
   */
  async adopt(material: CaMaterial): Promise<boolean> {
    const roots = activeFirst(material.rootsPem.filter((p, i, all) => all.findIndex((q) => q.trim() === p.trim()) === i), material);
    if (roots.length === 0 || !chainsTo(material, roots[0]!)) throw new Error('the CA state to adopt signs with a certificate that chains to none of its roots');
    const signerChanged = material.certPem.trim() !== this.signing.material.certPem.trim();
    const rootsChanged = roots.length !== this.roots.length || roots.some((r, i) => r.trim() !== this.roots[i]!.trim());
    if (!signerChanged && !rootsChanged) return false;
    if (signerChanged) {
      this.signing = await signerOf(material);
      this.issuedSinceSwitch = new Map();
      this.log(`ca: now signing with ${new X509Certificate(material.certPem).subject.replace(/\n/g, ', ')} (as the other replicas do)`);
    }
    this.roots = roots;
    return true;
  }

  /** Certificates issued to `ns/sa` since the signer last changed. */
  issuedSinceSwitchTo(id: WorkloadIdentity): number {
    return this.issuedSinceSwitch.get(`${id.namespace}/${id.serviceAccount}`) ?? 0;
  }

  /** The newest certificate issued to `id`, or undefined when it never asked. */
  lastIssuedTo(id: WorkloadIdentity): IssuedRecord | undefined {
    return this.newestIssued.get(`${id.namespace}/${id.serviceAccount}`);
  }

  /** When the signing certificate expires (citadel_server_root_cert_expiry_timestamp). */
  signerExpiry(): Date {
    return new Date(new X509Certificate(this.signing.material.certPem).validTo);
  }

  /**
   * Issues an SVID for `id` to the key of `csrPem` (PKCS#10, whose signature proves the requester holds that key).
   * Throws CsrError for a CSR that does not parse or verify, or an identity that is not a DNS label pair.
   */
  async sign(csrPem: string, id: WorkloadIdentity, ttlMs = DEFAULT_SVID_TTL_MS, now = Date.now()): Promise<IssuedCertificate> {
    this.metrics.csrCount++;
    try {
      const issued = await this.issue(csrPem, id, ttlMs, now);
      this.metrics.successCertIssuance++;
      const key = `${id.namespace}/${id.serviceAccount}`;
      this.issuedSinceSwitch.set(key, (this.issuedSinceSwitch.get(key) ?? 0) + 1);
      this.newestIssued.set(key, { spiffeId: issued.spiffeId, serial: issued.serial, issuedAt: new Date(now), expiresAt: issued.expiresAt });
      // logged for audit: who, which serial, until when (never a key)
      this.log(`ca: issued ${issued.spiffeId} serial ${issued.serial} until ${issued.expiresAt.toISOString()}`);
      return issued;
    } catch (e) {
      if (e instanceof CsrError) this.metrics.csrParsingErrors++;
      this.log(`ca: refused a CSR for ns=${id.namespace} sa=${id.serviceAccount}: ${(e as Error).message}`);
      throw e;
    }
  }

  private async issue(csrPem: string, id: WorkloadIdentity, ttlMs: number, now: number): Promise<IssuedCertificate> {
    if (!DNS_LABEL.test(id.namespace) || !DNS_LABEL.test(id.serviceAccount)) throw new CsrError(`invalid identity ns=${id.namespace} sa=${id.serviceAccount}`);
    const lib = x509();
    let csr: InstanceType<X509Lib['Pkcs10CertificateRequest']>;
    try {
      csr = new lib.Pkcs10CertificateRequest(csrPem);
    } catch (e) {
      throw new CsrError(`the CSR does not parse: ${(e as Error).message}`);
    }
    if (!(await csr.verify())) throw new CsrError('the CSR signature does not verify');
    const spiffe = spiffeId(this.trustDomain, id);
    return this.certify(await csr.publicKey.export(), [{ type: 'url', value: spiffe }], ttlMs, now, spiffe);
  }

  /**
   * A certificate for the control plane's own TLS port: a key made here, the SPIFFE id of `id` plus the DNS names
   * and IP addresses clients dial (they verify the host name as any TLS client does).
   */
  async issueServing(id: WorkloadIdentity, dnsNames: readonly string[], ips: readonly string[], ttlMs = DEFAULT_SVID_TTL_MS, now = Date.now()): Promise<IssuedCertificate & { keyPem: string }> {
    const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    const spiffe = spiffeId(this.trustDomain, id);
    const names = [{ type: 'url' as const, value: spiffe }, ...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value }))];
    const issued = await this.certify(keys.publicKey, names, ttlMs, now, spiffe);
    this.log(`ca: issued the control plane's serving certificate ${spiffe} serial ${issued.serial} until ${issued.expiresAt.toISOString()}`);
    return { ...issued, keyPem: await exportKeyPem(keys.privateKey) };
  }

  private async certify(publicKey: CryptoKey, names: { type: 'url' | 'dns' | 'ip'; value: string }[], ttlMs: number, now: number, spiffe: string): Promise<IssuedCertificate> {
    const lib = x509();
    const serial = serialNumber();
    const notAfter = new Date(now + ttlMs);
    const cert = await lib.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: '',
      issuer: this.signing.signer.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter,
      signingKey: this.signing.key,
      publicKey,
      signingAlgorithm: EC_P256,
      extensions: [
        new lib.BasicConstraintsExtension(false, undefined, true),
        new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature | lib.KeyUsageFlags.keyEncipherment, true),
        new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
        // an empty subject makes the SAN the certificate's only name: RFC 5280 wants it critical then
        new lib.SubjectAlternativeNameExtension(names, true),
        await lib.SubjectKeyIdentifierExtension.create(publicKey),
        this.signing.authorityKeyId,
      ],
    });
    const m = this.signing.material;
    const chain = [cert.toString('pem'), ...m.chainPem.map((p) => p.trim())];
    // an intermediate signs: it follows the leaf (a root never travels in the chain; peers have it)
    if (!this.roots.some((r) => r.trim() === m.certPem.trim())) chain.splice(1, 0, m.certPem.trim());
    return { certChainPem: chain.map((p) => `${p}\n`).join(''), rootsPem: this.rootsPem(), spiffeId: spiffe, serial, expiresAt: notAfter };
  }
}

type X509Lib = ReturnType<typeof x509>;

interface Signer {
  material: CaMaterial;
  key: CryptoKey;
  signer: InstanceType<X509Lib['X509Certificate']>;
  /** The same in every certificate it signs: computed once. */
  authorityKeyId: InstanceType<X509Lib['AuthorityKeyIdentifierExtension']>;
}

async function signerOf(material: CaMaterial): Promise<Signer> {
  const lib = x509();
  const signer = new lib.X509Certificate(material.certPem);
  return { material, key: await importSigningKey(material.keyPem), signer, authorityKeyId: await lib.AuthorityKeyIdentifierExtension.create(signer) };
}

/** `roots` with the root the signer chains to first (proxies renew when the first root is not theirs). */
function activeFirst(roots: readonly string[], m: CaMaterial): string[] {
  const isActive = (p: string): boolean => chainsTo(m, p);
  return [...roots.filter(isActive), ...roots.filter((p) => !isActive(p))];
}

/** Is `root` the root the signer of `m` chains up to (the signer itself, or the issuer of its chain's top)? */
function chainsTo(m: CaMaterial, root: string): boolean {
  const top = new X509Certificate(m.chainPem.length > 0 ? m.chainPem[m.chainPem.length - 1]! : m.certPem);
  const r = new X509Certificate(root);
  return r.fingerprint256 === top.fingerprint256 || (top.checkIssued(r) && top.verify(r.publicKey));
}
