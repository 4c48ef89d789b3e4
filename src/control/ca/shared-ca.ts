// Certificate authority: the root the replicas share through the store's secrets — `ca/active` (what signs, what is
// trusted) and `ca/next` (a rotation's pending root); the first replica creates the root, every replica follows changes.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { CertificateAuthority } from './authority.js';
import type { CaMaterial } from './material.js';
import type { SecretStore } from '../cluster/secret-store.js';

export const CA_ACTIVE = 'ca/active';
export const CA_NEXT = 'ca/next';

/** The CA state as the replicas persisted it. */
export interface PersistedCa {
  active: CaMaterial;
  /** A new root trusted but not signing yet (a rotation's overlap step). */
  next?: CaMaterial;
}

/** What a root rotation needs to follow the other replicas: the state now, and word when it changes. */
export interface SharedCa {
  /** The shared state, or undefined when `ca/active` is gone from the store (deleted by hand, or the store lost it). */
  read(): Promise<PersistedCa | undefined>;
  /** `onChange` after `ca/active` or `ca/next` changed (any replica, this one too); returns the cancel function. */
  watch(onChange: () => void): () => void;
}

export interface OpenedSharedCa {
  ca: CertificateAuthority;
  next?: CaMaterial;
  persist: (active: CaMaterial, next: CaMaterial | undefined) => Promise<void>;
  shared: SharedCa;
}

/**
 * Opens the CA every replica signs with. The first replica's `candidate` (its data dir's root, else a fresh one)
 * becomes `ca/active`; the others read the winner's.
 */
export async function openSharedCa(
  o: { trustDomain: string; log: (msg: string) => void },
  secrets: SecretStore,
  candidate: () => Promise<{ material: CaMaterial; from: string }>,
): Promise<OpenedSharedCa> {
  let stored = await secrets.get(CA_ACTIVE);
  if (stored === undefined) {
    const offered = await candidate();
    stored = await secrets.createIfAbsent(CA_ACTIVE, encode(offered.material));
    const won = decode(CA_ACTIVE, stored).certPem.trim() === offered.material.certPem.trim();
    o.log(won ? `ca: the replicas share ${offered.from} (kept sealed in the store as ${CA_ACTIVE})` : `ca: another replica created the shared root first; ${offered.from} is not used`);
  }
  const shared: SharedCa = {
    read: async () => {
      const active = await secrets.get(CA_ACTIVE);
      if (active === undefined) return undefined;
      const raw = await secrets.get(CA_NEXT);
      const parsed = decode(CA_ACTIVE, active);
      const next = raw === undefined ? undefined : decode(CA_NEXT, raw);
      // `ca/active` is written before `ca/next` is removed: a next that already signs is no longer pending
      return { active: parsed, ...(next !== undefined && next.certPem.trim() !== parsed.certPem.trim() ? { next } : {}) };
    },
    watch: (onChange) =>
      secrets.watch('ca/', (name) => {
        if (name === CA_ACTIVE || name === CA_NEXT) onChange();
      }),
  };
  const state = await shared.read();
  if (state === undefined) throw new Error(`the shared CA state ${CA_ACTIVE} vanished from the store while this replica opened it`);
  const { active, next } = state;
  const ca = await CertificateAuthority.open(o.trustDomain, active, o.log);
  if (next !== undefined) ca.trustRoot(next.certPem);
  o.log(`ca: signing with the root the replicas share (trust domain ${o.trustDomain})`);
  // the order makes every half-written state a sensible one for a replica that reads between the two writes
  const persist = async (a: CaMaterial, pending: CaMaterial | undefined): Promise<void> => {
    if (pending !== undefined) {
      await secrets.put(CA_NEXT, encode(pending));
      await secrets.put(CA_ACTIVE, encode(a));
    } else {
      await secrets.put(CA_ACTIVE, encode(a));
      await secrets.delete(CA_NEXT);
    }
  };
  return { ca, ...(next !== undefined ? { next } : {}), persist, shared };
}

function encode(m: CaMaterial): Buffer {
  return Buffer.from(JSON.stringify({ certPem: m.certPem, keyPem: m.keyPem, chainPem: m.chainPem, rootsPem: m.rootsPem }));
}

/** The material under `name`, checked: the key must be the certificate's (a wrong pair would sign certificates nobody verifies). */
function decode(name: string, b: Buffer): CaMaterial {
  let m: Partial<CaMaterial>;
  try {
    m = JSON.parse(b.toString('utf8')) as Partial<CaMaterial>;
  } catch {
    throw new Error(`the shared CA state ${name} is not JSON`);
  }
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof m.certPem !== 'string' || typeof m.keyPem !== 'string' || !strings(m.chainPem) || !strings(m.rootsPem) || m.rootsPem.length === 0) {
    throw new Error(`the shared CA state ${name} lacks certPem, keyPem, chainPem or rootsPem`);
  }
  if (!new X509Certificate(m.certPem).checkPrivateKey(createPrivateKey(m.keyPem))) throw new Error(`the shared CA state ${name} holds a key that is not its certificate's`);
  return { certPem: m.certPem, keyPem: m.keyPem, chainPem: m.chainPem, rootsPem: m.rootsPem };
}
