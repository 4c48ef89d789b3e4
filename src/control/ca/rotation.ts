// Certificate authority: root rotation in three steps, each safe to take only when the mesh has caught up with the last:
// trust (old and new roots trusted together) → activate (sign with the new root; workloads renew) → retire (old root dropped).
import { X509Certificate } from 'node:crypto';
import { ROOT_CA_SECRET } from '../translate/sds.js';
import type { XdsResource } from '../translate/generator.js';
import type { ConnectedProxy } from '../xds/types.js';
import { SECRET_TYPE } from '../../xds/type-urls.js';
import type { CertificateAuthority } from './authority.js';
import type { CaMaterial } from './material.js';
import { generateRoot } from './root.js';

export type RotationStep = 'trust' | 'activate' | 'retire';
export const ROTATION_STEPS: readonly RotationStep[] = ['trust', 'activate', 'retire'];

export interface RootInfo {
  subject: string;
  fingerprint: string;
  notAfter: string;
  active: boolean;
}

export interface RotationStatus {
  /** stable: one root; overlap: a new root is trusted, not signing yet; activated: the new root signs, the old is still trusted. */
  phase: 'stable' | 'overlap' | 'activated';
  roots: RootInfo[];
  /** The step that may be taken next (none when stable: `trust` starts a rotation). */
  next: RotationStep;
  /** Connected proxies the last step has not reached yet, and what they lack. */
  waiting: { proxy: string; lacks: string }[];
}

export interface RotationDeps {
  ca: CertificateAuthority;
  /** Keeps the CA state (the data dir); undefined when the CA is an organisation's files (rotated by replacing them). */
  persist?: (active: CaMaterial, next: CaMaterial | undefined) => void;
  /** The pending new root kept from an earlier `trust` step (after a restart). */
  next?: CaMaterial;
  /** The trust bundle changed: rebuild and push ROOTCA, renew the control plane's serving certificate. */
  trustChanged: () => Promise<void> | void;
  connected: () => readonly ConnectedProxy[];
  lastSent: (connId: string, typeUrl: string) => readonly XdsResource[] | undefined;
  acked: (connId: string, typeUrl: string) => boolean;
  log: (msg: string) => void;
}

export class RotationError extends Error {}

export class RootRotation {
  private next: CaMaterial | undefined;

  constructor(private readonly deps: RotationDeps) {
    this.next = deps.next;
  }

  status(): RotationStatus {
    const ca = this.deps.ca;
    const pems = ca.rootsPem().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const roots = pems.map((p, i) => {
      const c = new X509Certificate(p);
      return { subject: c.subject.replace(/\n/g, ', '), fingerprint: c.fingerprint256, notAfter: new Date(c.validTo).toISOString(), active: i === 0 };
    });
    const phase = this.next !== undefined ? 'overlap' : roots.length > 1 ? 'activated' : 'stable';
    const next: RotationStep = phase === 'overlap' ? 'activate' : phase === 'activated' ? 'retire' : 'trust';
    return { phase, roots, next, waiting: this.waiting(phase) };
  }

  async step(step: RotationStep): Promise<RotationStatus> {
    const st = this.status();
    if (step !== st.next) throw new RotationError(`cannot ${step} now: the rotation is ${st.phase}, the next step is ${st.next}`);
    if (this.deps.persist === undefined) throw new RotationError('the CA signs with an organisation\'s files (--ca-cert): rotate by replacing those files and restarting');
    const ca = this.deps.ca;
    if (step === 'trust') {
      const fresh = await generateRoot(ca.trustDomain);
      ca.trustRoot(fresh.certPem);
      this.next = fresh;
      this.deps.log(`ca: root rotation: trusting a new root ${new X509Certificate(fresh.certPem).fingerprint256} beside the current one`);
    } else if (step === 'activate') {
      await ca.switchSigner(this.next!);
      this.next = undefined;
      this.deps.log('ca: root rotation: signing with the new root; workloads renew their certificates');
    } else {
      const retired = ca.retireOtherRoots();
      this.deps.log(`ca: root rotation: retired ${retired.length} old root(s)`);
    }
    this.deps.persist(ca.material, this.next);
    await this.deps.trustChanged();
    return this.status();
  }

  /** Who has not caught up: after trust/retire, proxies whose ROOTCA is not the current bundle (ACKed); after activate, workloads not yet renewed. */
  private waiting(phase: RotationStatus['phase']): { proxy: string; lacks: string }[] {
    const bundle = this.deps.ca.rootsPem();
    const out: { proxy: string; lacks: string }[] = [];
    const renewedNeeded = new Map<string, number>();
    for (const p of this.deps.connected()) {
      const sent = this.deps.lastSent(p.connId, SECRET_TYPE)?.find((r) => r.name === ROOT_CA_SECRET);
      if (sent === undefined) continue; // a proxy that never asked for ROOTCA (proxyless, plaintext port) is not part of mTLS
      const ca = (sent.resource as { validation_context?: { trusted_ca?: { inline_string?: string } } }).validation_context?.trusted_ca?.inline_string;
      if (ca !== bundle || !this.deps.acked(p.connId, SECRET_TYPE)) out.push({ proxy: p.id, lacks: 'the current trust bundle (ROOTCA)' });
      else if (phase === 'activated' && p.identity !== undefined) {
        const key = `${p.identity.namespace}/${p.identity.serviceAccount}`;
        const need = (renewedNeeded.get(key) ?? 0) + 1;
        renewedNeeded.set(key, need);
        if (this.deps.ca.issuedSinceSwitchTo(p.identity) < need) out.push({ proxy: p.id, lacks: 'a certificate from the new root' });
      }
    }
    return out;
  }
}
