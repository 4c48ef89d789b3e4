// xDS wire codec: builds the compact descriptor (descriptor-json.ts) from a parsed protobufjs Root — the types reachable from given roots, every field of each.
import type protobufNs from 'protobufjs';
import { FIELD_MAP, FIELD_ONEOF, FIELD_PACKED, FIELD_REPEATED, SCALARS, type FieldJson, type Scalar, type WireDescriptorJson } from './descriptor-json.js';

type Named = protobufNs.Type | protobufNs.Enum;

const NUMERIC: ReadonlySet<string> = new Set(SCALARS.filter((s) => s !== 'string' && s !== 'bytes'));
/** Map keys the decoder writes as object keys the way protobufjs does (64-bit keys it would write as hashes). */
const MAP_KEYS: ReadonlySet<string> = new Set(['string', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'bool']);

function isScalar(t: string): t is Scalar {
  return (SCALARS as readonly string[]).includes(t);
}

/**
 * Messages the proxy never interprets, kept without their fields: CEL expressions (rbac Policy.condition and
 * checked_condition). A config that sets one still shows it (as {}), so the config stage refuses it by name.
 */
export const OPAQUE_PACKAGES: readonly string[] = ['google.api.expr.'];

function isOpaque(t: Named | null, opaque: readonly string[]): boolean {
  return t !== null && opaque.some((p) => t.fullName.startsWith(`.${p}`));
}

/** The message and enum types reachable from `roots` through fields (map values and oneof members included). */
export function reachableTypes(pb: typeof protobufNs, root: protobufNs.Root, roots: readonly string[], opaque: readonly string[] = OPAQUE_PACKAGES): Named[] {
  const seen = new Set<Named>();
  const queue: Named[] = roots.map((name) => {
    const t = root.lookup(name);
    if (!(t instanceof pb.Type)) throw new Error(`wire descriptor: ${name} is not a message type of this Root`);
    return t;
  });
  while (queue.length > 0) {
    const t = queue.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (!(t instanceof pb.Type) || isOpaque(t, opaque)) continue;
    for (const f of t.fieldsArray) {
      f.resolve();
      if (f.resolvedType !== null) queue.push(f.resolvedType);
    }
  }
  // sorted, so one Root always gives the same descriptor
  return [...seen].sort((a, b) => (a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0));
}

export function buildWireDescriptor(pb: typeof protobufNs, root: protobufNs.Root, roots: readonly string[]): WireDescriptorJson {
  const all = reachableTypes(pb, root, roots);
  const messages = all.filter((t): t is protobufNs.Type => t instanceof pb.Type);
  const enums = all.filter((t): t is protobufNs.Enum => t instanceof pb.Enum);
  const index = new Map<Named, number>();
  messages.forEach((m, i) => index.set(m, i));
  enums.forEach((e, i) => index.set(e, messages.length + i));
  const fieldJson = (m: protobufNs.Type, f: protobufNs.Field): FieldJson => {
    const where = `${m.fullName.slice(1)}.${f.name}`;
    if ((f as { delimited?: boolean }).delimited === true) throw new Error(`wire descriptor: ${where} is a group (delimited), which the proxy's codec does not read`);
    let type: Scalar | number;
    if (f.resolvedType !== null) type = index.get(f.resolvedType)!;
    else if (isScalar(f.type)) type = f.type;
    else throw new Error(`wire descriptor: ${where} has unresolved type ${f.type}`);
    let flags = 0;
    if (f.map) flags |= FIELD_MAP;
    else if (f.repeated) flags |= FIELD_REPEATED;
    if (f.repeated && !f.map && f.packed && (f.resolvedType instanceof pb.Enum || NUMERIC.has(f.type))) flags |= FIELD_PACKED;
    if (f.partOf !== null) flags |= FIELD_ONEOF;
    if (!f.map) return [f.id, f.name, type, flags];
    const key = (f as unknown as protobufNs.MapField).keyType;
    if (!MAP_KEYS.has(key)) throw new Error(`wire descriptor: ${where} has map key type ${key}, which the proxy's codec does not read`);
    return [f.id, f.name, type, flags, key as Scalar];
  };
  return {
    messages: messages.map((m) => [m.fullName.slice(1), isOpaque(m, OPAQUE_PACKAGES) ? [] : m.fieldsArray.map((f) => fieldJson(m, f))]),
    enums: enums.map((e) => [e.fullName.slice(1), Object.entries(e.values)]),
  };
}
