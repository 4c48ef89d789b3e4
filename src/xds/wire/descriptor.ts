// xDS wire codec: the proxy's message descriptor at run time — loaded from the build's JSON, each message compiled on first use.
//
// Why not protobufjs: its reflection objects, generated codecs and the parse of the .proto files cost a sidecar
// tens of MB of RSS; this table of numbers and names costs a fraction of that (measured in bench/sidecar-memory.ts).
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIELD_MAP, FIELD_ONEOF, FIELD_PACKED, FIELD_REPEATED, type Scalar, type WireDescriptorJson } from './descriptor-json.js';
import { buildWireDescriptor } from './descriptor-build.js';
import { parseProtoFiles } from '../proto-files.js';
import { PROXY_MESSAGE_TYPES } from '../proxy-types.js';

/** Written by `npm run build` (write-descriptor.ts) beside the compiled descriptor.js. */
export const DESCRIPTOR_FILE = join(dirname(fileURLToPath(import.meta.url)), 'descriptor.json');

export interface WireField {
  /** Position in the message's `fields`. */
  index: number;
  id: number;
  name: string;
  repeated: boolean;
  map: boolean;
  packed: boolean;
  oneof: boolean;
  /** Set for scalar fields; message and enum fields have `message` / `enum` instead. */
  scalar: Scalar | undefined;
  keyType: Scalar | undefined;
  message: WireMessage | undefined;
  enum: WireEnum | undefined;
}

export interface WireMessage {
  fullName: string;
  /** Declaration order (the order decoded JSON lists them in). */
  fields: WireField[];
  byId: Map<number, WireField>;
  byName: Map<string, WireField>;
}

export interface WireEnum {
  fullName: string;
  values: Map<string, number>;
  /** For aliases the last name declared wins, as with protobufjs. */
  names: Map<number, string>;
}

export class WireDescriptor {
  private readonly messages: (WireMessage | undefined)[];
  private readonly enums: (WireEnum | undefined)[];
  private readonly indexByName = new Map<string, number>();

  constructor(private readonly json: WireDescriptorJson) {
    this.messages = new Array<WireMessage | undefined>(json.messages.length);
    this.enums = new Array<WireEnum | undefined>(json.enums.length);
    json.messages.forEach(([name], i) => this.indexByName.set(name, i));
  }

  /** A message by full name (`envoy.config.cluster.v3.Cluster`, no leading dot); undefined if not described. */
  lookup(fullName: string): WireMessage | undefined {
    const i = this.indexByName.get(fullName);
    return i === undefined ? undefined : this.message(i);
  }

  /** Every described message's full name. */
  messageNames(): string[] {
    return this.json.messages.map(([name]) => name);
  }

  require(fullName: string): WireMessage {
    const m = this.lookup(fullName);
    if (m === undefined) throw new Error(`xds: message type ${fullName} is not in the proxy's descriptor`);
    return m;
  }

  private message(i: number): WireMessage {
    const done = this.messages[i];
    if (done !== undefined) return done;
    const [fullName, fieldsJson] = this.json.messages[i]!;
    // registered before its fields are compiled: messages refer to themselves (Struct → Value → Struct)
    const m: WireMessage = { fullName, fields: [], byId: new Map(), byName: new Map() };
    this.messages[i] = m;
    for (const [id, name, type, flags, keyType] of fieldsJson) {
      const f: WireField = {
        index: m.fields.length,
        id,
        name,
        repeated: (flags & FIELD_REPEATED) !== 0,
        map: (flags & FIELD_MAP) !== 0,
        packed: (flags & FIELD_PACKED) !== 0,
        oneof: (flags & FIELD_ONEOF) !== 0,
        scalar: typeof type === 'string' ? type : undefined,
        keyType,
        message: undefined,
        enum: undefined,
      };
      m.fields.push(f);
      m.byId.set(id, f);
      m.byName.set(name, f);
    }
    // references resolved after the message is complete, so a cycle meets a finished message
    fieldsJson.forEach(([, , type], k) => {
      if (typeof type !== 'number') return;
      const f = m.fields[k]!;
      if (type < this.messages.length) f.message = this.message(type);
      else f.enum = this.enumAt(type - this.messages.length);
    });
    return m;
  }

  private enumAt(i: number): WireEnum {
    const done = this.enums[i];
    if (done !== undefined) return done;
    const [fullName, values] = this.json.enums[i]!;
    const e: WireEnum = { fullName, values: new Map(), names: new Map() };
    for (const [name, n] of values) {
      e.values.set(name, n);
      e.names.set(n, name);
    }
    this.enums[i] = e;
    return e;
  }
}

let loaded: WireDescriptor | undefined;

/** The proxy's descriptor: the build's JSON, or (after a tsc-only build) built from the .proto files once. */
export function wireDescriptor(): WireDescriptor {
  loaded ??= new WireDescriptor(existsSync(DESCRIPTOR_FILE) ? (JSON.parse(readFileSync(DESCRIPTOR_FILE, 'utf8')) as WireDescriptorJson) : descriptorFromProtoFiles());
  return loaded;
}

/** The fallback pays the parse once more; `npm run build` writes the JSON so the proxy never does. */
function descriptorFromProtoFiles(): WireDescriptorJson {
  const pb = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
  return buildWireDescriptor(pb, parseProtoFiles(pb), PROXY_MESSAGE_TYPES);
}
