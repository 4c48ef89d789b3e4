// Certificate authority: opens the mesh CA at start — an organisation's cacerts files, or the root kept in the data dir
// (generated on first start, in the same cacerts layout, key mode 0600).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateAuthority } from './authority.js';
import { readCaFiles, type CaFiles, type CaMaterial } from './material.js';
import { generateRoot } from './root.js';

export interface CaOptions {
  trustDomain: string;
  /** --ca-cert/--ca-key/--root-cert/--cert-chain: an organisation's root or intermediate signs the mesh. */
  files?: CaFiles;
  /** Where a generated root is kept; without it (tests) the root lives only as long as the process. */
  dataDir?: string;
  log: (msg: string) => void;
}

export async function openCa(o: CaOptions): Promise<CertificateAuthority> {
  let material: CaMaterial;
  if (o.files !== undefined) {
    material = readCaFiles(o.files);
    o.log(`ca: signing with ${o.files.caCert} (trust domain ${o.trustDomain})`);
  } else if (o.dataDir !== undefined && existsSync(join(o.dataDir, 'ca', 'ca-key.pem'))) {
    material = readCaFiles(kept(o.dataDir));
    o.log(`ca: signing with the root kept in ${join(o.dataDir, 'ca')} (trust domain ${o.trustDomain})`);
  } else {
    material = await generateRoot(o.trustDomain);
    if (o.dataDir !== undefined) {
      const dir = join(o.dataDir, 'ca');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, 'ca-key.pem'), material.keyPem, { mode: 0o600 });
      writeFileSync(join(dir, 'ca-cert.pem'), material.certPem);
      writeFileSync(join(dir, 'root-cert.pem'), material.rootsPem.join(''));
      writeFileSync(join(dir, 'cert-chain.pem'), material.certPem);
    }
    o.log(`ca: generated a self-signed root for trust domain ${o.trustDomain}${o.dataDir !== undefined ? ` in ${join(o.dataDir, 'ca')}` : ''}`);
  }
  return CertificateAuthority.open(o.trustDomain, material, o.log);
}

function kept(dataDir: string): CaFiles {
  const dir = join(dataDir, 'ca');
  return { caCert: join(dir, 'ca-cert.pem'), caKey: join(dir, 'ca-key.pem'), rootCert: join(dir, 'root-cert.pem'), certChain: join(dir, 'cert-chain.pem') };
}
