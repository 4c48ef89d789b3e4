// API stage: text (multi-document YAML, JSON, `kind: List`) → MeshResource[] with envelopes checked and normalized; remembers where each came from for line numbers.
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { fail, ok, type Result } from '../common/result.js';
import { apiError, splitFieldPath, type ApiError, type Location } from './errors.js';
import { isDns1123Label, isDns1123Subdomain } from './hosts.js';
import { checkSchema, isPlainObject, isSet } from './schema.js';
import { METADATA_SCHEMA } from './schemas.js';
import { SECRET_FIELDS, secretFields } from './secret-data.js';
import {
  apiGroupOf,
  CORE_KINDS,
  DEFAULT_NAMESPACE,
  KINDS,
  storedApiVersion,
  ORIGINAL_API_VERSION_ANNOTATION,
  resourceKey,
  type Kind,
  type MeshResource,
  type ObjectMeta,
} from './types.js';

/*
 * apiVersion policy: networking.istio.io v1, v1beta1 and v1alpha3 are one schema in Istio (v1 is the
 * promoted v1beta1, itself identical to v1alpha3 for these kinds), so the store keeps one version per
 * kind, like a Kubernetes storage version: parsed resources carry `networking.istio.io/v1`, and when
 * the input said otherwise the original is recorded in metadata.annotations['trellis.io/original-api-version'].
 * Core Service is only `v1`.
 */

const TOP_LEVEL_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const SECRET_TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', ...SECRET_FIELDS]);
// a ServiceAccount's token and pull secrets mean nothing here: accepted, not kept
const SERVICE_ACCOUNT_TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'secrets', 'imagePullSecrets', 'automountServiceAccountToken']);

interface Origin {
  doc: Document;
  prefix: (string | number)[];
  lines: LineCounter;
  source?: string;
  document: number;
}

// Where each parsed resource came from; weak so resources handed to the store do not pin their text.
const origins = new WeakMap<object, Origin>();

/**
 * Parse every document in `text`. Documents may be YAML or JSON; a document may hold one object,
 * a JSON/YAML array of objects, or a `kind: List` with `items`. Empty documents are skipped.
 * Only the envelope (apiVersion, kind, metadata) is checked here — run validateResource() (or use
 * loadResources()) before trusting `spec`. All errors of all documents are returned together.
 */
export function parseResources(text: string, source?: string): Result<MeshResource[]> {
  const { resources, errors } = parseDocuments(text, source);
  return errors.length > 0 ? fail(errors) : ok(resources);
}

/** An object of a Kubernetes kind that means nothing in a Trellis mesh (ConfigMap, PersistentVolumeClaim, …): left out, said once. */
export interface SkippedObject {
  kind: string;
  name: string;
  namespace: string;
}

/**
 * Like parseResources, but returns the well-formed resources alongside the errors, so callers can keep checking the
 * rest, and the objects of Kubernetes kinds with no meaning here, which are skipped rather than refused.
 */
export function parseDocuments(text: string, source?: string): { resources: MeshResource[]; errors: ApiError[]; skipped: SkippedObject[] } {
  const lines = new LineCounter();
  const docs = Array.from(parseAllDocuments(text, { lineCounter: lines, prettyErrors: false }));
  const errors: ApiError[] = [];
  const resources: MeshResource[] = [];
  const skipped: SkippedObject[] = [];
  const seen = new Map<string, number>();

  docs.forEach((doc, i) => {
    const document = i + 1;
    const loc = (offset: number | undefined): Location => ({
      document,
      source,
      ...(offset !== undefined ? { line: lines.linePos(offset).line } : {}),
    });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(apiError(`document ${document}`, '', `invalid YAML: ${e.message.split('\n')[0]}`, loc(e.pos[0])));
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      errors.push(apiError(`document ${document}`, '', `invalid YAML: ${(e as Error).message}`, loc(doc.contents?.range?.[0])));
      return;
    }
    if (!isSet(value)) return; // an empty document, e.g. a trailing `---`
    for (const { item, prefix } of unwrapItems(value, document, source, lines, doc, errors)) {
      const origin: Origin = { doc, prefix, lines, source, document };
      const skip = skippedKubernetesObject(item);
      if (skip !== undefined) {
        skipped.push(skip);
        continue;
      }
      const r = parseOne(item, origin, errors);
      if (!r) continue;
      const key = resourceKey(r);
      const first = seen.get(key);
      if (first !== undefined) {
        errors.push(issue(origin, `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`, 'metadata.name', `duplicate resource: also defined in document ${first}`));
        continue;
      }
      seen.set(key, document);
      origins.set(r, origin);
      resources.push(r);
    }
  });
  return { resources, errors, skipped };
}

/** Kubernetes' built-in API groups ('' is core v1): their kinds trellis does not keep are skipped, not refused. */
const KUBERNETES_GROUPS = new Set([
  '', 'apps', 'batch', 'autoscaling', 'policy', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'storage.k8s.io',
  'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'scheduling.k8s.io',
  'node.k8s.io', 'certificates.k8s.io', 'events.k8s.io', 'flowcontrol.apiserver.k8s.io',
]);

function skippedKubernetesObject(value: unknown): SkippedObject | undefined {
  if (!isPlainObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') return undefined;
  if ((KINDS as readonly string[]).includes(value.kind) || value.kind === 'List') return undefined;
  const slash = value.apiVersion.lastIndexOf('/');
  if (!KUBERNETES_GROUPS.has(slash < 0 ? '' : value.apiVersion.slice(0, slash))) return undefined;
  const meta = isPlainObject(value.metadata) ? value.metadata : {};
  return {
    kind: value.kind,
    name: typeof meta.name === 'string' ? meta.name : '',
    namespace: typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : DEFAULT_NAMESPACE,
  };
}

/** Where a field of a parsed resource is in its source text (nearest existing ancestor when the field itself is absent). */
export function locate(r: object, field: string): Location | undefined {
  const o = origins.get(r);
  if (!o) return undefined;
  return { document: o.document, source: o.source, line: lineOf(o, splitFieldPath(field)) };
}

function lineOf(o: Origin, keys: (string | number)[]): number | undefined {
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = o.doc.getIn([...o.prefix, ...keys.slice(0, n)], true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return o.lines.linePos(range[0]).line;
  }
  return undefined;
}

function issue(o: Origin, resource: string, field: string, reason: string): ApiError {
  return apiError(resource, field, reason, { document: o.document, source: o.source, line: lineOf(o, splitFieldPath(field)) });
}

/** A document holds one object, an array of objects, or a v1 List whose items are the objects. */
function unwrapItems(
  value: unknown,
  document: number,
  source: string | undefined,
  lines: LineCounter,
  doc: Document,
  errors: ApiError[],
): { item: unknown; prefix: (string | number)[] }[] {
  if (Array.isArray(value)) return value.map((item, j) => ({ item, prefix: [j] }));
  if (isPlainObject(value) && value.kind === 'List') {
    if (!Array.isArray(value.items)) {
      errors.push(issue({ doc, prefix: [], lines, source, document }, `document ${document}`, 'items', 'a List needs an "items" array'));
      return [];
    }
    return value.items.map((item, j) => ({ item, prefix: ['items', j] }));
  }
  return [{ item: value, prefix: [] }];
}

/** Istio's own kinds that Trellis does not serve yet, by API group: named as such, not as unknown. */
const ISTIO_KINDS_NOT_SERVED: Readonly<Record<string, string>> = {
  EnvoyFilter: 'networking.istio.io',
  ProxyConfig: 'networking.istio.io',
  WasmPlugin: 'extensions.istio.io',
};

function parseOne(value: unknown, o: Origin, errors: ApiError[]): MeshResource | undefined {
  const at = o.prefix.length > 0 ? `document ${o.document} item ${String(o.prefix[o.prefix.length - 1])}` : `document ${o.document}`;
  if (!isPlainObject(value)) {
    errors.push(issue(o, at, '', 'expected a Kubernetes object with apiVersion, kind, metadata and spec'));
    return undefined;
  }
  const before = errors.length;
  const kind = value.kind;
  if (typeof kind !== 'string' || kind === '') {
    errors.push(issue(o, at, 'kind', 'required field is missing'));
  } else if (!(KINDS as readonly string[]).includes(kind)) {
    const group = ISTIO_KINDS_NOT_SERVED[kind];
    errors.push(
      issue(o, at, 'kind', group !== undefined ? `${kind} (${group}) is an Istio kind trellis does not serve yet (accepted: ${KINDS.join(', ')})` : `unknown kind "${kind}" (accepted: ${KINDS.join(', ')})`),
    );
  }
  const known = typeof kind === 'string' && (KINDS as readonly string[]).includes(kind) ? (kind as Kind) : undefined;

  // Name the resource as soon as its kind and name are known, so every later error says which one.
  const meta = isPlainObject(value.metadata) ? value.metadata : undefined;
  const name = typeof meta?.name === 'string' && meta.name !== '' ? meta.name : undefined;
  const namespace = typeof meta?.namespace === 'string' && meta.namespace !== '' ? meta.namespace : DEFAULT_NAMESPACE;
  const label = known && name ? `${known} ${namespace}/${name}` : known ? `${at} (${known})` : at;

  const apiVersion = value.apiVersion;
  let original: string | undefined;
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    errors.push(issue(o, label, 'apiVersion', 'required field is missing'));
  } else if (known) {
    const reason = apiVersionError(known, apiVersion);
    if (reason) errors.push(issue(o, label, 'apiVersion', reason));
    else if (!CORE_KINDS.includes(known) && apiVersion !== storedApiVersion(known)) original = apiVersion;
  }

  if (!isSet(value.metadata)) {
    errors.push(issue(o, label, 'metadata', 'required field is missing'));
  } else {
    const metaErrors: { path: string; message: string }[] = [];
    checkSchema(value.metadata, METADATA_SCHEMA, 'metadata', metaErrors);
    for (const e of metaErrors) errors.push(issue(o, label, e.path, e.message));
    if (name && !isDns1123Subdomain(name)) {
      errors.push(issue(o, label, 'metadata.name', `"${name}" is not a valid name (lower-case letters, digits, '-' and '.', starting and ending alphanumeric)`));
    }
    if (typeof meta?.namespace === 'string' && meta.namespace !== '' && !isDns1123Label(meta.namespace)) {
      errors.push(issue(o, label, 'metadata.namespace', `"${meta.namespace}" is not a valid namespace (a DNS-1123 label)`));
    }
  }

  // a Secret carries type/data/stringData beside metadata, and no spec
  const fields = known === 'Secret' ? SECRET_TOP_LEVEL : known === 'ServiceAccount' ? SERVICE_ACCOUNT_TOP_LEVEL : TOP_LEVEL_FIELDS;
  for (const k of Object.keys(value)) {
    if (!fields.has(k)) errors.push(issue(o, label, k, `unknown field "${k}" (expected ${[...fields].filter((f) => f !== 'status').join(', ')})`));
  }
  if (known !== 'Secret' && isSet(value.spec) && !isPlainObject(value.spec)) errors.push(issue(o, label, 'spec', 'expected an object'));

  if (errors.length > before || !known || !name) return undefined;

  const metadata: ObjectMeta = { name, namespace };
  if (isPlainObject(meta?.labels)) metadata.labels = meta.labels as Record<string, string>;
  const annotations = isPlainObject(meta?.annotations) ? { ...(meta.annotations as Record<string, string>) } : undefined;
  if (original) metadata.annotations = { ...annotations, [ORIGINAL_API_VERSION_ANNOTATION]: original };
  else if (annotations) metadata.annotations = annotations;

  if (known === 'Secret') return { apiVersion: 'v1', kind: known, metadata, ...secretFields(value) };
  if (known === 'ServiceAccount') return { apiVersion: 'v1', kind: known, metadata };
  // cluster-scoped: a namespace given in the document means nothing
  if (known === 'Namespace') return { apiVersion: 'v1', kind: known, metadata: { ...metadata, namespace: DEFAULT_NAMESPACE } };
  const spec = isPlainObject(value.spec) ? value.spec : {};
  // The spec is structurally unchecked here; validateResource() checks it field by field.
  return { apiVersion: storedApiVersion(known), kind: known, metadata, spec } as MeshResource;
}

function apiVersionError(kind: Kind, apiVersion: string): string | undefined {
  if (CORE_KINDS.includes(kind)) return apiVersion === 'v1' ? undefined : `unsupported apiVersion "${apiVersion}" for kind ${kind} (accepted: v1)`;
  const [group, version, extra] = apiVersion.split('/');
  const { group: wantGroup, versions } = apiGroupOf(kind);
  const accepted = versions.map((v) => `${wantGroup}/${v}`).join(', ');
  if (group !== wantGroup || extra !== undefined || !versions.includes(version ?? '')) {
    return `unsupported apiVersion "${apiVersion}" for kind ${kind} (accepted: ${accepted})`;
  }
  return undefined;
}
