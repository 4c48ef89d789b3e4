// Config stage: the bootstrap loader's entry point: reads YAML/JSON from a file or text and validates it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
// js-yaml, not `yaml`: the proxy process stays ~6 MB smaller (the RSS target is 60 MB); line-numbered
// errors (what `yaml` adds) matter for the Istio resources users apply, not for a bootstrap file.
import { load as loadYaml, YAMLException } from 'js-yaml';
import type { Result } from '../../common/result.js';
import type { Bootstrap } from './types.js';
import { parseBootstrap } from './parse-bootstrap.js';
import { loadFilterModules } from './filter-modules.js';

export { parseBootstrap };

/** Loads `file`; relative `filename:` references resolve against the file's directory. The filters it names are loaded first. */
export async function loadBootstrapFile(file: string): Promise<Result<Bootstrap>> {
  const full = resolve(file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    return { ok: false, errors: [{ path: full, message: `cannot read config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }] };
  }
  return loadBootstrap(text, dirname(full), full);
}

/** loadBootstrapText after loading the filter modules the text names. */
export async function loadBootstrap(text: string, baseDir: string, source?: string): Promise<Result<Bootstrap>> {
  await loadFilterModules([text]);
  return loadBootstrapText(text, baseDir, source);
}

/** Parses YAML/JSON text (YAML is a superset of JSON) and validates it; `source` names the text in syntax errors. Filters must be loaded. */
export function loadBootstrapText(text: string, baseDir: string, source?: string): Result<Bootstrap> {
  // js-yaml's default schema understands merge keys (<<: *anchor), common in hand-written Envoy configs.
  let raw: unknown;
  try {
    raw = loadYaml(text, { filename: source });
  } catch (e) {
    const message = e instanceof YAMLException ? e.message : String(e);
    return { ok: false, errors: [{ path: source ?? '(yaml)', message: `YAML syntax error: ${message}` }] };
  }
  return parseBootstrap(raw ?? {}, { baseDir });
}
