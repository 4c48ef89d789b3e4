// Control plane / config store: resource keys (`kind/namespace/name`) and the identity checks the store itself enforces.
import type { ConfigError } from '../../common/result.js';
import type { ResourceKey, StoredResource } from './types.js';

/** The key a resource is stored under; a missing namespace becomes '' (the store never invents a default). */
export function resourceKey(r: StoredResource): ResourceKey {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

export function parseKey(key: ResourceKey): { kind: string; namespace: string; name: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 3 || parts[0] === '' || parts[2] === '') return undefined;
  return { kind: parts[0]!, namespace: parts[1]!, name: parts[2]! };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// '/' would make keys ambiguous; the API layer validates names properly (DNS labels), this is only the floor.
function badPart(v: unknown, optional: boolean): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') return 'must be a string';
  if (v === '' && !optional) return 'must not be empty';
  if (v.includes('/')) return "must not contain '/'";
  return undefined;
}

/** Problems that make a value unstorable (no usable key, or not JSON); the path starts with what key we could make. */
export function checkResource(value: unknown, index: number): ConfigError[] {
  const where = `changes[${index}]`;
  if (!isRecord(value)) return [{ path: where, message: 'resource must be an object' }];
  const meta = value['metadata'];
  const errors: ConfigError[] = [];
  const kindErr = badPart(value['kind'], false);
  if (kindErr) errors.push({ path: `${where}.kind`, message: kindErr });
  if (!isRecord(meta)) {
    errors.push({ path: `${where}.metadata`, message: 'must be an object' });
    return errors;
  }
  const nameErr = badPart(meta['name'], false);
  if (nameErr) errors.push({ path: `${where}.metadata.name`, message: nameErr });
  const nsErr = badPart(meta['namespace'], true);
  if (nsErr) errors.push({ path: `${where}.metadata.namespace`, message: nsErr });
  if (errors.length === 0) {
    try {
      JSON.stringify(value);
    } catch (e) {
      errors.push({ path: resourceKey(value as StoredResource), message: `not JSON-serializable: ${String(e)}` });
    }
  }
  return errors;
}
