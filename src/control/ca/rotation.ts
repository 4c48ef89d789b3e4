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
import type { SharedCa } from './shared-ca.js';

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
  /** Keeps the CA state (the data dir, or the shared store); undefined when the CA is an organisation's files (rotated by replacing them). */
  persist?: (active: CaMaterial, next: CaMaterial | undefined) => void | Promise<void>;
  /** Replicas sharing a store: the CA state they persist, which this replica follows (followShared) and steps from. */
  shared?: SharedCa;
  /** The pending new root kept from an earlier `trust` step (after a restart). */
  next?: CaMaterial;
  /** The trust bundle changed: rebuild and push ROOTCA, renew the control plane's serving certificate. */
  trustChanged: () => Promise<void> | void;
  connected: () => readonly ConnectedProxy[];
  /**
   * Workloads registered but not connected to this control plane (reconnecting after a restart, within their grace):
   * they still hold what the last step changed, so a step waits for them too. Unset for replicas sharing a store,
   * where a workload missing here is usually connected to another replica.
   */
  disconnected?: () => readonly string[];
  lastSent: (connId: string, typeUrl: string) => readonly XdsResource[] | undefined;
  acked: (connId: string, typeUrl: string) => boolean;
  /**
   * Replicas sharing a store: runs a step holding the replicas' rotation lock, so two replicas asked at the same
   * instant cannot both step from the same state (throws a RotationError when another replica holds it).
   */
  acrossReplicas?: <T>(step: () => Promise<T>) => Promise<T>;
  log: (msg: string) => void;
}

export class RotationError extends Error {}

export class RootRotation {
  private next: CaMaterial | undefined;
  /** Steps and adoptions of another replica's state, one at a time: neither may see the other half done. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RotationDeps) {
    this.next = deps.next;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
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

  step(step: RotationStep): Promise<RotationStatus> {
    const across = this.deps.acrossReplicas;
    return this.exclusive(() => (across !== undefined ? across(() => this.takeStep(step)) : this.takeStep(step)));
  }

  private async takeStep(step: RotationStep): Promise<RotationStatus> {
    // another replica may have stepped since its change reached this one: start from what the replicas share
    if (this.deps.shared !== undefined) await this.adopt();
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
    try {
      await this.deps.persist(ca.material, this.next);
    } catch (e) {
      // the step stays undone everywhere rather than done here only: back to what the replicas share
      if (this.deps.shared !== undefined) await this.adopt().catch(() => undefined);
      this.deps.log(`ca: root rotation: the ${step} step could not be kept${this.deps.shared !== undefined ? ' and is undone' : ''}: ${e instanceof Error ? e.message : String(e)}`);
      // as it came: an unreachable store stays a 503 for the API
      throw e;
    }
    await this.deps.trustChanged();
    return this.status();
  }

  /**
   * Replicas sharing a store: follow every step another replica takes (trust its new root, sign with it once active,
   * drop retired roots) as soon as the store says the CA state changed; returns the stop function.
   */
  followShared(): () => void {
    const shared = this.deps.shared;
    if (shared === undefined) return () => {};
    let queued = false;
    let stopped = false;
    let failures = 0;
    let retry: NodeJS.Timeout | undefined;
    const sync = (): void => {
      // changes arriving while one adoption waits its turn are all covered by it: it reads the store when it runs
      if (queued || stopped) return;
      queued = true;
      this.exclusive(async () => {
        queued = false;
        if (!stopped) await this.adopt();
        failures = 0;
      }).catch((e: unknown) => {
        // the change that woke us is not reported again: read until the store answers
        if (failures++ === 0) this.deps.log(`ca: following the root the replicas share failed (${e instanceof Error ? e.message : String(e)}); retrying`);
        // one pending retry at most, however many changes failed meanwhile
        if (stopped || retry !== undefined) return;
        retry = setTimeout(() => {
          retry = undefined;
          sync();
        }, Math.min(10_000, 500 * 2 ** Math.min(failures, 5)));
        retry.unref();
      });
    };
    const cancel = shared.watch(sync);
    // what changed between opening the CA and this watch starting
    sync();
    return () => {
      stopped = true;
      if (retry !== undefined) clearTimeout(retry);
      cancel();
    };
  }

  /** Take the CA state the replicas share, without persisting it again; tells the mesh when the trust bundle or signer changed. */
  private async adopt(): Promise<void> {
    const state = await this.deps.shared!.read();
    if (state === undefined) {
      // a replica starting now would make a root of its own that nobody trusts: put back the one the mesh trusts
      await this.deps.persist?.(this.deps.ca.material, this.next);
      this.deps.log('ca: the shared CA state was gone from the store; this replica wrote its own back');
      return;
    }
    const { active, next } = state;
    // during a rotation's overlap the pending root is trusted though `active` may not list it yet (it is written first)
    const trusted = next !== undefined ? [...active.rootsPem, ...next.rootsPem] : active.rootsPem;
    const changed = await this.deps.ca.adopt({ ...active, rootsPem: trusted });
    const nextChanged = next?.certPem.trim() !== this.next?.certPem.trim();
    this.next = next;
    if (!changed && !nextChanged) return;
    this.deps.log(`ca: root rotation: following another replica, now ${this.status().phase}`);
    if (changed) await this.deps.trustChanged();
  }

  /**
   * Who has not caught up: after trust/retire, proxies whose ROOTCA is not the current bundle (ACKed); after activate,
   * workloads not yet renewed; during a rotation, registered workloads not connected (retiring a root before one
   * renewed would lock it out: its certificate is its only proof of identity once its token expired).
   */
  private waiting(phase: RotationStatus['phase']): { proxy: string; lacks: string }[] {
    const bundle = this.deps.ca.rootsPem();
    const out: { proxy: string; lacks: string }[] = [];
    if (phase !== 'stable') for (const id of this.deps.disconnected?.() ?? []) out.push({ proxy: id, lacks: 'a connection to the control plane (registered, not connected)' });
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
