// API stage: a tiny structural schema language and its checker (types, enums, required and unknown fields), so every kind's shape is data, not code.
import type { ConfigError } from '../common/result.js';

export type Schema =
  | { t: 'string'; nonEmpty?: boolean }
  | { t: 'int'; min?: number; max?: number }
  | { t: 'number'; min?: number; max?: number }
  | { t: 'bool' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'intOrString' }
  /** Accepted and not checked (Kubernetes bookkeeping such as metadata.managedFields). */
  | { t: 'any' }
  | { t: 'array'; items: Schema }
  | { t: 'map'; values: Schema }
  | ObjectSchema;

export interface ObjectSchema {
  t: 'object';
  /** Proto message name, used in messages like `unknown field "foo" in HTTPRoute`. */
  name: string;
  fields: Record<string, Schema>;
  required?: readonly string[];
  /** Groups of fields of which at most one may be set (proto oneofs). */
  atMostOne?: readonly (readonly string[])[];
  /** Groups of fields of which exactly one must be set. */
  exactlyOne?: readonly (readonly string[])[];
  /** Fields not listed are accepted unchecked (Kubernetes objects carry much trellis does not read). */
  open?: boolean;
}

// Constructors keep the schema declarations short and readable.
export const str = (nonEmpty = false): Schema => ({ t: 'string', nonEmpty });
export const int = (min?: number, max?: number): Schema => ({ t: 'int', min, max });
export const uint = (max?: number): Schema => ({ t: 'int', min: 0, max });
export const num = (min?: number, max?: number): Schema => ({ t: 'number', min, max });
export const bool: Schema = { t: 'bool' };
export const oneOfValues = (...values: string[]): Schema => ({ t: 'enum', values });
export const intOrString: Schema = { t: 'intOrString' };
export const anything: Schema = { t: 'any' };
export const arr = (items: Schema): Schema => ({ t: 'array', items });
export const map = (values: Schema): Schema => ({ t: 'map', values });
export const strMap: Schema = map(str());
export function obj(name: string, fields: Record<string, Schema>, extra: Omit<ObjectSchema, 't' | 'name' | 'fields'> = {}): ObjectSchema {
  return { t: 'object', name, fields, ...extra };
}

/** Append a key to a path: `a.b`, or `a["x y"]` when the key is not identifier-like (map keys such as header names stay readable). */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  // Identifier-like keys (and dotted runs of them, which validators use for nested fields) stay bare.
  const seg = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(key) ? key : JSON.stringify(key);
  if (base === '') return seg;
  return seg.startsWith('"') ? `${base}[${seg}]` : `${base}.${seg}`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** A present value: YAML `field:` with nothing after it parses to null, which Kubernetes treats as unset. */
export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** Check `value` against `schema`, appending every problem to `errors` (never stops at the first). */
export function checkSchema(value: unknown, schema: Schema, path: string, errors: ConfigError[]): void {
  const bad = (message: string): void => {
    errors.push({ path, message });
  };
  switch (schema.t) {
    case 'string':
      if (typeof value !== 'string') return bad(`expected a string, got ${describe(value)}`);
      if (schema.nonEmpty && value === '') bad('must not be empty');
      return;
    case 'int':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad(`expected a number, got ${describe(value)}`);
      if (schema.t === 'int' && !Number.isInteger(value)) return bad(`expected an integer, got ${value}`);
      if (schema.min !== undefined && value < schema.min) return bad(`must be at least ${schema.min}, got ${value}`);
      if (schema.max !== undefined && value > schema.max) return bad(`must be at most ${schema.max}, got ${value}`);
      return;
    }
    case 'bool':
      if (typeof value !== 'boolean') bad(`expected true or false, got ${describe(value)}`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !schema.values.includes(value)) {
        bad(`invalid value ${JSON.stringify(value)}, expected one of ${schema.values.join(', ')}`);
      }
      return;
    case 'intOrString':
      if (typeof value === 'number' ? !Number.isInteger(value) : typeof value !== 'string') {
        bad(`expected an integer or a string, got ${describe(value)}`);
      }
      return;
    case 'any':
      return;
    case 'array':
      if (!Array.isArray(value)) return bad(`expected a list, got ${describe(value)}`);
      value.forEach((item, i) => {
        if (!isSet(item)) errors.push({ path: joinPath(path, i), message: 'list item must not be null' });
        else checkSchema(item, schema.items, joinPath(path, i), errors);
      });
      return;
    case 'map':
      if (!isPlainObject(value)) return bad(`expected a map, got ${describe(value)}`);
      for (const [k, v] of Object.entries(value)) checkSchema(v, schema.values, joinPath(path, k), errors);
      return;
    case 'object':
      return checkObject(value, schema, path, errors);
  }
}

function checkObject(value: unknown, schema: ObjectSchema, path: string, errors: ConfigError[]): void {
  if (!isPlainObject(value)) {
    errors.push({ path, message: `expected an object (${schema.name}), got ${describe(value)}` });
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const fieldSchema = schema.fields[k];
    // Istio's webhook rejects unknown fields; a typo like `weigth` must not silently do nothing.
    if (!fieldSchema) {
      if (schema.open !== true) errors.push({ path: joinPath(path, k), message: `unknown field "${k}" in ${schema.name}` });
    }
    else if (isSet(v)) checkSchema(v, fieldSchema, joinPath(path, k), errors);
  }
  for (const k of schema.required ?? []) {
    if (!isSet(value[k])) errors.push({ path: joinPath(path, k), message: 'required field is missing' });
  }
  for (const group of schema.atMostOne ?? []) {
    const present = group.filter((k) => isSet(value[k]));
    if (present.length > 1) errors.push({ path, message: `only one of ${group.join(', ')} may be set, got ${present.join(' and ')}` });
  }
  for (const group of schema.exactlyOne ?? []) {
    const present = group.filter((k) => isSet(value[k]));
    if (present.length !== 1) {
      errors.push({ path, message: present.length === 0 ? `one of ${group.join(', ')} must be set` : `only one of ${group.join(', ')} may be set, got ${present.join(' and ')}` });
    }
  }
}
