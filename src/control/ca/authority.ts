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

export const DEFAULT_SVID_TTL_MS = 24 * 3600 * 1000;
/** Clocks of peers disagree a little: a certificate is valid from slightly before its issuance. */
const BACKDATE_MS = 5 * 60 * 1000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class CsrError extends Error {}

export class CertificateAuthority {
  /** CSRs received, certificates issued, CSRs refused (Citadel's metric names). */
  readonly metrics = new CaMetrics(() => this.signerExpiry());

  private constructor(
    readonly trustDomain: string,
    private readonly material: CaMaterial,
    private readonly signingKey: CryptoKey,
    private readonly signer: InstanceType<ReturnType<typeof x509>['X509Certificate']>,
    /** The same in every certificate it signs: computed once. */
    private readonly authorityKeyId: InstanceType<X509Lib['AuthorityKeyIdentifierExtension']>,
    private readonly log: (msg: string) => void,
  ) {}

  static async open(trustDomain: string, material: CaMaterial, log: (msg: string) => void = () => {}): Promise<CertificateAuthority> {
    const lib = x509();
    const signer = new lib.X509Certificate(material.certPem);
    return new CertificateAuthority(trustDomain, material, await importSigningKey(material.keyPem), signer, await lib.AuthorityKeyIdentifierExtension.create(signer), log);
  }

  /** The trusted roots, PEM, one after another (what `trellis ca root` prints). */
  rootsPem(): string {
    return this.material.rootsPem.map((p) => `${p.trim()}\n`).join('');
  }

  /** When the signing certificate expires (citadel_server_root_cert_expiry_timestamp). */
  signerExpiry(): Date {
    return new Date(new X509Certificate(this.material.certPem).validTo);
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
      issuer: this.signer.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter,
      signingKey: this.signingKey,
      publicKey,
      signingAlgorithm: EC_P256,
      extensions: [
        new lib.BasicConstraintsExtension(false, undefined, true),
        new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature | lib.KeyUsageFlags.keyEncipherment, true),
        new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
        // an empty subject makes the SAN the certificate's only name: RFC 5280 wants it critical then
        new lib.SubjectAlternativeNameExtension(names, true),
        await lib.SubjectKeyIdentifierExtension.create(publicKey),
        this.authorityKeyId,
      ],
    });
    const chain = [cert.toString('pem'), ...this.material.chainPem.map((p) => p.trim())];
    // an intermediate signs: it follows the leaf (a root never travels in the chain; peers have it)
    if (!this.material.rootsPem.some((r) => r.trim() === this.material.certPem.trim())) chain.splice(1, 0, this.material.certPem.trim());
    return { certChainPem: chain.map((p) => `${p}\n`).join(''), rootsPem: this.rootsPem(), spiffeId: spiffe, serial, expiresAt: notAfter };
  }
}

type X509Lib = ReturnType<typeof x509>;
