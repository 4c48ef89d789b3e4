// HTTP filters (compression): the compressor_library / decompressor_library extensions (gzip and brotli on Node's zlib), validated.
import { Ctx, Msg, TYPE_PREFIX, describe, join, typeName, unpackAny } from '../../../config/reader.js';

const GZIP_COMPRESSOR = `${TYPE_PREFIX}envoy.extensions.compression.gzip.compressor.v3.Gzip`;
const BROTLI_COMPRESSOR = `${TYPE_PREFIX}envoy.extensions.compression.brotli.compressor.v3.Brotli`;
const ZSTD_COMPRESSOR = `${TYPE_PREFIX}envoy.extensions.compression.zstd.compressor.v3.Zstd`;
const GZIP_DECOMPRESSOR = `${TYPE_PREFIX}envoy.extensions.compression.gzip.decompressor.v3.Gzip`;
const BROTLI_DECOMPRESSOR = `${TYPE_PREFIX}envoy.extensions.compression.brotli.decompressor.v3.Brotli`;
const ZSTD_DECOMPRESSOR = `${TYPE_PREFIX}envoy.extensions.compression.zstd.decompressor.v3.Zstd`;

/** What every library says about itself: the content coding it speaks and its stats segment (Envoy's statsPrefix). */
interface LibraryBase {
  /** TypedExtensionConfig.name: part of the stat names. */
  readonly name: string;
  readonly encoding: 'gzip' | 'br';
  readonly stat_prefix: 'gzip' | 'brotli';
}

export interface GzipCompressorLib extends LibraryBase {
  readonly kind: 'gzip';
  /** zlib memLevel 1–9 (Envoy's default 5). */
  readonly memory_level: number;
  /** zlib level: -1 for DEFAULT_COMPRESSION, else 1–9. */
  readonly compression_level: number;
  /** zlib strategy 0–4 (the enum's numbers are zlib's). */
  readonly compression_strategy: number;
  /** 9–15 (Envoy's default 12). */
  readonly window_bits: number;
  readonly chunk_size: number;
}

export interface BrotliCompressorLib extends LibraryBase {
  readonly kind: 'brotli';
  readonly quality: number;
  /** BROTLI_MODE_*: GENERIC 0, TEXT 1, FONT 2 (Envoy's DEFAULT is GENERIC). */
  readonly mode: number;
  readonly window_bits: number;
  readonly input_block_bits: number;
  readonly chunk_size: number;
  readonly disable_literal_context_modeling: boolean;
}

export type CompressorLibrary = GzipCompressorLib | BrotliCompressorLib;

export interface GzipDecompressorLib extends LibraryBase {
  readonly kind: 'gzip';
  readonly window_bits: number;
  readonly chunk_size: number;
  /** Output may be at most this many times the input seen so far (decompression bombs). */
  readonly max_inflate_ratio: number;
}

export interface BrotliDecompressorLib extends LibraryBase {
  readonly kind: 'brotli';
  readonly disable_ring_buffer_reallocation: boolean;
  readonly chunk_size: number;
  /** Fixed at 100 in Envoy's brotli decompressor. */
  readonly max_inflate_ratio: number;
}

export type DecompressorLibrary = GzipDecompressorLib | BrotliDecompressorLib;

const GZIP_LEVELS: Readonly<Record<string, number>> = {
  DEFAULT_COMPRESSION: -1,
  BEST_SPEED: 1,
  COMPRESSION_LEVEL_1: 1,
  COMPRESSION_LEVEL_2: 2,
  COMPRESSION_LEVEL_3: 3,
  COMPRESSION_LEVEL_4: 4,
  COMPRESSION_LEVEL_5: 5,
  COMPRESSION_LEVEL_6: 6,
  COMPRESSION_LEVEL_7: 7,
  COMPRESSION_LEVEL_8: 8,
  COMPRESSION_LEVEL_9: 9,
  BEST_COMPRESSION: 9,
};
const GZIP_STRATEGIES: Readonly<Record<string, number>> = { DEFAULT_STRATEGY: 0, FILTERED: 1, HUFFMAN_ONLY: 2, RLE: 3, FIXED: 4 };
/** Envoy's EncoderMode names -> brotli's BROTLI_MODE_* values (DEFAULT is brotli's default, GENERIC). */
const BROTLI_MODES: Readonly<Record<string, number>> = { DEFAULT: 0, GENERIC: 0, TEXT: 1, FONT: 2 };
/** The proto enum numbers, for configs that write enums as integers (proto3 JSON allows both). */
const BROTLI_MODE_NUMBERS: readonly number[] = [0, 0, 1, 2];

/**
 * A proto enum given by name (any case) or by number. `byName` maps names to the value trellis uses; `byNumber`
 * maps the proto's enum numbers to it.
 */
function protoEnum(m: Msg, field: string, byName: Readonly<Record<string, number>>, byNumber: (n: number) => number | undefined, dflt: number): number {
  const v = m.raw(field);
  if (v === undefined) return dflt;
  if (typeof v === 'string') {
    const hit = byName[v.toUpperCase()];
    if (hit !== undefined) return hit;
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    const hit = byNumber(v);
    if (hit !== undefined) return hit;
  }
  m.err(field, `unknown ${field} ${describe(v)}; expected one of ${Object.keys(byName).join(', ')}`);
  return dflt;
}

function chunkSize(m: Msg): number {
  return m.numOr('chunk_size', 4096, { int: true, min: 4096, max: 65536 });
}

/** The TypedExtensionConfig around a library: its name (required) and its unpacked typed_config. */
function openExtension(ctx: Ctx, raw: unknown, path: string): { name: string; typeUrl: string; body: Record<string, unknown>; path: string } | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.TypedExtensionConfig', fields: ['name', 'typed_config'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  if (!m.require('typed_config')) return undefined;
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined || name === '') return undefined;
  return { name, typeUrl: any.typeUrl, body: any.body, path: any.path };
}

export function validateCompressorLibrary(ctx: Ctx, raw: unknown, path: string): CompressorLibrary | undefined {
  const ext = openExtension(ctx, raw, path);
  if (ext === undefined) return undefined;
  const before = ctx.errors.length;
  if (ext.typeUrl === GZIP_COMPRESSOR) {
    const m = Msg.open(ctx, ext.body, ext.path, {
      type: 'extensions.compression.gzip.compressor.v3.Gzip',
      fields: ['memory_level', 'compression_level', 'compression_strategy', 'window_bits', 'chunk_size'],
    });
    if (m === undefined) return undefined;
    const lib: GzipCompressorLib = {
      kind: 'gzip',
      name: ext.name,
      encoding: 'gzip',
      stat_prefix: 'gzip',
      memory_level: m.numOr('memory_level', 5, { int: true, min: 1, max: 9 }),
      compression_level: protoEnum(m, 'compression_level', GZIP_LEVELS, (n) => (n === 0 ? -1 : n >= 1 && n <= 9 ? n : undefined), -1),
      compression_strategy: protoEnum(m, 'compression_strategy', GZIP_STRATEGIES, (n) => (n >= 0 && n <= 4 ? n : undefined), 0),
      window_bits: m.numOr('window_bits', 12, { int: true, min: 9, max: 15 }),
      chunk_size: chunkSize(m),
    };
    return ctx.errors.length === before ? lib : undefined;
  }
  if (ext.typeUrl === BROTLI_COMPRESSOR) {
    const m = Msg.open(ctx, ext.body, ext.path, {
      type: 'extensions.compression.brotli.compressor.v3.Brotli',
      fields: ['quality', 'encoder_mode', 'window_bits', 'input_block_bits', 'chunk_size', 'disable_literal_context_modeling'],
    });
    if (m === undefined) return undefined;
    const lib: BrotliCompressorLib = {
      kind: 'brotli',
      name: ext.name,
      encoding: 'br',
      stat_prefix: 'brotli',
      quality: m.numOr('quality', 3, { int: true, min: 0, max: 11 }),
      mode: protoEnum(m, 'encoder_mode', BROTLI_MODES, (n) => BROTLI_MODE_NUMBERS[n], 0),
      window_bits: m.numOr('window_bits', 18, { int: true, min: 10, max: 24 }),
      input_block_bits: m.numOr('input_block_bits', 24, { int: true, min: 16, max: 24 }),
      chunk_size: chunkSize(m),
      disable_literal_context_modeling: m.boolOr('disable_literal_context_modeling', false),
    };
    return ctx.errors.length === before ? lib : undefined;
  }
  unsupported(ctx, ext.typeUrl, ext.path, ZSTD_COMPRESSOR, 'compressor_library', [GZIP_COMPRESSOR, BROTLI_COMPRESSOR]);
  return undefined;
}

export function validateDecompressorLibrary(ctx: Ctx, raw: unknown, path: string): DecompressorLibrary | undefined {
  const ext = openExtension(ctx, raw, path);
  if (ext === undefined) return undefined;
  const before = ctx.errors.length;
  if (ext.typeUrl === GZIP_DECOMPRESSOR) {
    const m = Msg.open(ctx, ext.body, ext.path, {
      type: 'extensions.compression.gzip.decompressor.v3.Gzip',
      fields: ['window_bits', 'chunk_size', 'max_inflate_ratio'],
    });
    if (m === undefined) return undefined;
    const lib: GzipDecompressorLib = {
      kind: 'gzip',
      name: ext.name,
      encoding: 'gzip',
      stat_prefix: 'gzip',
      window_bits: m.numOr('window_bits', 15, { int: true, min: 9, max: 15 }),
      chunk_size: chunkSize(m),
      max_inflate_ratio: m.numOr('max_inflate_ratio', 100, { int: true, min: 1, max: 1032 }),
    };
    return ctx.errors.length === before ? lib : undefined;
  }
  if (ext.typeUrl === BROTLI_DECOMPRESSOR) {
    const m = Msg.open(ctx, ext.body, ext.path, {
      type: 'extensions.compression.brotli.decompressor.v3.Brotli',
      fields: ['disable_ring_buffer_reallocation', 'chunk_size'],
    });
    if (m === undefined) return undefined;
    const lib: BrotliDecompressorLib = {
      kind: 'brotli',
      name: ext.name,
      encoding: 'br',
      stat_prefix: 'brotli',
      disable_ring_buffer_reallocation: m.boolOr('disable_ring_buffer_reallocation', false),
      chunk_size: chunkSize(m),
      max_inflate_ratio: 100,
    };
    return ctx.errors.length === before ? lib : undefined;
  }
  unsupported(ctx, ext.typeUrl, ext.path, ZSTD_DECOMPRESSOR, 'decompressor_library', [GZIP_DECOMPRESSOR, BROTLI_DECOMPRESSOR]);
  return undefined;
}

function unsupported(ctx: Ctx, typeUrl: string, path: string, zstd: string, field: string, supported: readonly string[]): void {
  const at = join(path, '@type');
  if (typeUrl === zstd) ctx.err(at, `${typeName(typeUrl)} is not supported by trellis (Node 20's zlib has no zstd); use gzip or brotli`);
  else ctx.err(at, `${field} type ${typeName(typeUrl)} is not supported by trellis; supported: ${supported.map(typeName).join(', ')}`);
}
