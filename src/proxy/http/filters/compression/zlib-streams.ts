// HTTP filters (compression): Node zlib streams built from a validated compressor or decompressor library.
import zlib from 'node:zlib';
import type { CompressorLibrary, DecompressorLibrary } from './library.js';

/** A Node zlib transform (gzip or brotli, either direction) with its flush(). */
export type ZlibStream = zlib.Gzip | zlib.Gunzip | zlib.BrotliCompress | zlib.BrotliDecompress;

export function createCompressor(lib: CompressorLibrary): ZlibStream {
  if (lib.kind === 'gzip') {
    return zlib.createGzip({
      level: lib.compression_level,
      memLevel: lib.memory_level,
      strategy: lib.compression_strategy,
      windowBits: lib.window_bits,
      chunkSize: lib.chunk_size,
    });
  }
  const P = zlib.constants;
  return zlib.createBrotliCompress({
    chunkSize: lib.chunk_size,
    params: {
      [P.BROTLI_PARAM_QUALITY]: lib.quality,
      [P.BROTLI_PARAM_MODE]: lib.mode,
      [P.BROTLI_PARAM_LGWIN]: lib.window_bits,
      [P.BROTLI_PARAM_LGBLOCK]: lib.input_block_bits,
      [P.BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING]: lib.disable_literal_context_modeling ? 1 : 0,
    },
  });
}

/** What a compressor flushes with after each chunk, as Envoy's Flush state does: output now, stream stays open. */
export function flushKindOf(lib: CompressorLibrary): number {
  return lib.kind === 'gzip' ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.BROTLI_OPERATION_FLUSH;
}

export function createDecompressor(lib: DecompressorLibrary): ZlibStream {
  if (lib.kind === 'gzip') return zlib.createGunzip({ windowBits: lib.window_bits, chunkSize: lib.chunk_size });
  return zlib.createBrotliDecompress({
    chunkSize: lib.chunk_size,
    params: { [zlib.constants.BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION]: lib.disable_ring_buffer_reallocation ? 1 : 0 },
  });
}
