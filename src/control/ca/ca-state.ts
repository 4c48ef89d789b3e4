// Certificate authority: opens the mesh CA at start — an organisation's cacerts files, the root the replicas share
// (shared-ca.ts), or the root kept in the data dir (generated on first start, in the same cacerts layout, key mode 0600).
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateAuthority } from './authority.js';
import { readCaFiles, type CaFiles, type CaMaterial } from './material.js';
import { generateRoot } from './root.js';
import type { SecretStore } from '../cluster/secret-store.js';
import { openSharedCa, type SharedCa } from './shared-ca.js';

export interface CaOptions {
  trustDomain: string;
  /** --ca-cert/--ca-key/--root-cert/--cert-chain: an organisation's root or intermediate signs the mesh. */
  files?: CaFiles;
  /** Where a generated root is kept; without it (tests) the root lives only as long as the process. */
  dataDir?: string;
  /** Replicas sharing a store: the generated root lives there (sealed), the first replica's wins. */
  secrets?: SecretStore;
  log: (msg: string) => void;
}

export interface OpenedCa {
  ca: CertificateAuthority;
  /** A new root trusted but not signing yet (a root rotation in its overlap step), kept in `<data-dir>/ca/next` or `ca/next`. */
  next?: CaMaterial;
  /** Keeps the CA state for the next start; absent when the CA is an organisation's files or there is no data dir. */
  persist?: (active: CaMaterial, next: CaMaterial | undefined) => void | Promise<void>;
  /** Replicas sharing a store: the CA state they share, for the root rotation to follow. */
  shared?: SharedCa;
}

export async function openCa(o: CaOptions): Promise<OpenedCa> {
  // an organisation's files win over everything: every replica is given the same files, nothing is shared
  if (o.files === undefined && o.secrets !== undefined) return openSharedCa(o, o.secrets, () => sharedCandidate(o));
  let material: CaMaterial;
  if (o.files !== undefined) {
    material = readCaFiles(o.files);
    o.log(`ca: signing with ${o.files.caCert} (trust domain ${o.trustDomain})`);
  } else if (o.dataDir !== undefined && existsSync(join(o.dataDir, 'ca', 'ca-key.pem'))) {
    material = readCaFiles(kept(join(o.dataDir, 'ca')));
    o.log(`ca: signing with the root kept in ${join(o.dataDir, 'ca')} (trust domain ${o.trustDomain})`);
  } else {
    material = await generateRoot(o.trustDomain);
    if (o.dataDir !== undefined) {
      saveMaterial(join(o.dataDir, 'ca'), material);
    }
    o.log(`ca: generated a self-signed root for trust domain ${o.trustDomain}${o.dataDir !== undefined ? ` in ${join(o.dataDir, 'ca')}` : ''}`);
  }
  const ca = await CertificateAuthority.open(o.trustDomain, material, o.log);
  if (o.files !== undefined || o.dataDir === undefined) return { ca };
  const dir = join(o.dataDir, 'ca');
  const nextDir = join(dir, 'next');
  const next = existsSync(join(nextDir, 'ca-key.pem')) ? readCaFiles(kept(nextDir)) : undefined;
  if (next !== undefined) ca.trustRoot(next.certPem);
  const persist = (active: CaMaterial, pending: CaMaterial | undefined): void => {
    if (pending !== undefined) saveMaterial(nextDir, pending);
    saveMaterial(dir, active);
    if (pending === undefined) rmSync(nextDir, { recursive: true, force: true });
  };
  return { ca, ...(next !== undefined ? { next } : {}), persist };
}

/** What this replica offers as the shared root when there is none yet: the root its data dir kept (a mesh moving onto a shared store keeps its root), else a new one. */
async function sharedCandidate(o: CaOptions): Promise<{ material: CaMaterial; from: string }> {
  const dir = o.dataDir !== undefined ? join(o.dataDir, 'ca') : undefined;
  if (dir !== undefined && existsSync(join(dir, 'ca-key.pem'))) return { material: readCaFiles(kept(dir)), from: `the root kept in ${dir}` };
  return { material: await generateRoot(o.trustDomain), from: `a root generated for trust domain ${o.trustDomain}` };
}

/** The cacerts layout, each file replaced whole (written aside, then renamed), the key mode 0600. */
function saveMaterial(dir: string, m: CaMaterial): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const put = (name: string, text: string, mode = 0o644): void => {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, text, { mode });
    renameSync(tmp, join(dir, name));
  };
  put('ca-key.pem', m.keyPem, 0o600);
  put('ca-cert.pem', m.certPem);
  put('root-cert.pem', m.rootsPem.map((p) => `${p.trim()}\n`).join(''));
  put('cert-chain.pem', [m.certPem, ...m.chainPem].map((p) => `${p.trim()}\n`).join(''));
}

function kept(dir: string): CaFiles {
  return { caCert: join(dir, 'ca-cert.pem'), caKey: join(dir, 'ca-key.pem'), rootCert: join(dir, 'root-cert.pem'), certChain: join(dir, 'cert-chain.pem') };
}
