// Config stage: the bootstrap loader's entry point: reads YAML/JSON from a file or text and validates it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { Result } from '../../common/result.js';
import type { Bootstrap } from './types.js';
import { parseBootstrap } from './parse-bootstrap.js';

export { parseBootstrap };

/** Loads `file`; relative `filename:` references resolve against the file's directory. */
export function loadBootstrapFile(file: string): Result<Bootstrap> {
  const full = resolve(file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    return { ok: false, errors: [{ path: full, message: `cannot read config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }] };
  }
  return loadBootstrapText(text, dirname(full), full);
}

/** Parses YAML/JSON text (YAML is a superset of JSON) and validates it; `source` names the text in syntax errors. */
export function loadBootstrapText(text: string, baseDir: string, source?: string): Result<Bootstrap> {
  // YAML merge keys (<<: *anchor) are common in hand-written Envoy configs
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({ path: source ?? '(yaml)', message: `YAML syntax error: ${e.message}` })),
    };
  }
  return parseBootstrap(doc.toJS({ maxAliasCount: 1000 }) ?? {}, { baseDir });
}
