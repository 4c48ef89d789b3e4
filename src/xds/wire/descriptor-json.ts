// xDS wire codec: the compact descriptor format the build writes for the proxy — messages and enums by full name, type references as indexes.

/** Scalar field types, as protobuf spells them. */
export const SCALARS = ['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes'] as const;
export type Scalar = (typeof SCALARS)[number];

export const FIELD_REPEATED = 1;
export const FIELD_MAP = 2;
/** Written packed (proto3's default for repeated numbers); decoding takes both forms. */
export const FIELD_PACKED = 4;
/** Member of a oneof (or proto3 `optional`): a default value is still written, since presence means something. */
export const FIELD_ONEOF = 8;

/**
 * [field number, name, type, flags, map key type]. `type` is a Scalar, or an index: below messages.length a
 * message, else enum (index - messages.length).
 */
export type FieldJson = [number, string, Scalar | number, number] | [number, string, Scalar | number, number, Scalar];

export interface WireDescriptorJson {
  /** [full name without the leading dot, fields in declaration order]. */
  messages: [string, FieldJson[]][];
  /** [full name, [value name, number] in declaration order]. */
  enums: [string, [string, number][]][];
}
