// CLI: `trellis control --mesh-config FILE` — reads and validates the Istio MeshConfig before anything starts, reconciles its
// trustDomain with --trust-domain, and prints what it ignores.
import fs from 'node:fs/promises';
import { formatErrors } from '../common/result.js';
import { DEFAULT_TRUST_DOMAIN } from '../control/model/snapshot.js';
import { type MeshConfig, parseMeshConfig, reconcileTrustDomain } from '../api/mesh-config.js';

/**
 * The validated mesh config and the trust domain to run with, or undefined without --mesh-config. `trustDomainFlag` is
 * --trust-domain only when the user gave it. Throws (so the control plane does not start) on any error.
 */
export async function loadMeshConfigFlag(file: string | undefined, trustDomainFlag: string | undefined): Promise<{ config: MeshConfig; trustDomain: string } | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`--mesh-config: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = parseMeshConfig(text, file);
  if (!parsed.ok) throw new Error(`invalid mesh config, the control plane does not start:\n${formatErrors(parsed.errors)}`);
  const td = reconcileTrustDomain(trustDomainFlag, parsed.value);
  if (td.error !== undefined) throw new Error(td.error);
  for (const i of parsed.value.ignored) process.stderr.write(`mesh config: ${i.field} ignored (${i.reason})\n`);
  return { config: parsed.value, trustDomain: td.trustDomain ?? DEFAULT_TRUST_DOMAIN };
}
