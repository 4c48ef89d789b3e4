// Translate stage: the public surface — the generators (in Envoy's make-before-break push order) and the helpers callers need.
import { cdsGenerator } from './cds.js';
import { edsGenerator } from './eds.js';
import type { Generator } from './generator.js';
import { ldsGenerator } from './lds.js';
import { rdsGenerator } from './rds.js';
import { sdsGenerator } from './sds.js';
import { vhdsGenerator } from './vhds.js';

export { cdsGenerator, edsGenerator, ldsGenerator, rdsGenerator, sdsGenerator, vhdsGenerator };
export * from './generator.js';
export * from './names.js';

/** CDS, EDS, LDS, RDS, VHDS, SDS: clusters and their endpoints exist before listeners and routes point at them; secrets follow the TLS contexts that name them. */
export const GENERATORS: readonly Generator[] = [cdsGenerator, edsGenerator, ldsGenerator, rdsGenerator, vhdsGenerator, sdsGenerator];

/** The generator for a type URL. */
export function generatorFor(typeUrl: string): Generator | undefined {
  return GENERATORS.find((g) => g.typeUrl === typeUrl);
}
