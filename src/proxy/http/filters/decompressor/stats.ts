// HTTP filters (decompressor): Envoy's stats under http.<stat_prefix>.decompressor.<library name>.<library stat prefix>.
import type { Counter, StatsScope } from '../../../telemetry/stats.js';
import type { DecompressorLibrary } from '../compression/library.js';

export class DecompressDirectionStats {
  readonly decompressed: Counter;
  readonly notDecompressed: Counter;
  readonly compressedBytes: Counter;
  readonly uncompressedBytes: Counter;

  constructor(s: StatsScope) {
    this.decompressed = s.counter('decompressed');
    this.notDecompressed = s.counter('not_decompressed');
    this.uncompressedBytes = s.counter('total_uncompressed_bytes');
    this.compressedBytes = s.counter('total_compressed_bytes');
  }
}

/** Why a decompression stopped, for the library's own error counters. */
export type DecompressFailure = 'bomb' | Error;

/** The library's counters (`decompressor_library.`): zlib_* for gzip, brotli_* for brotli, as Envoy names them. */
export class LibraryStats {
  private readonly byName = new Map<string, Counter>();

  constructor(
    scope: StatsScope,
    private readonly kind: DecompressorLibrary['kind'],
  ) {
    const names = kind === 'gzip' ? ['zlib_errno', 'zlib_stream_error', 'zlib_data_error', 'zlib_mem_error', 'zlib_buf_error', 'zlib_version_error'] : ['brotli_error', 'brotli_output_overflow', 'brotli_redundant_input'];
    for (const n of names) this.byName.set(n, scope.counter(n));
  }

  count(failure: DecompressFailure): void {
    for (const n of this.namesFor(failure)) this.byName.get(n)?.inc();
  }

  private namesFor(failure: DecompressFailure): string[] {
    if (this.kind === 'brotli') return failure === 'bomb' ? ['brotli_error', 'brotli_output_overflow'] : ['brotli_error'];
    // Envoy's zlib decompressor counts an inflate-ratio stop as a data error.
    if (failure === 'bomb') return ['zlib_data_error'];
    switch ((failure as NodeJS.ErrnoException).code) {
      case 'Z_DATA_ERROR':
      case 'Z_NEED_DICT':
        return ['zlib_data_error'];
      case 'Z_BUF_ERROR':
        return ['zlib_buf_error'];
      case 'Z_STREAM_ERROR':
        return ['zlib_stream_error'];
      case 'Z_MEM_ERROR':
        return ['zlib_mem_error'];
      case 'Z_VERSION_ERROR':
        return ['zlib_version_error'];
      default:
        return ['zlib_errno'];
    }
  }
}

export interface DecompressorStats {
  readonly request: DecompressDirectionStats;
  readonly response: DecompressDirectionStats;
  readonly library: LibraryStats;
}

export function decompressorStats(root: StatsScope, lib: DecompressorLibrary): DecompressorStats {
  const s = root.scope('decompressor', lib.name, lib.stat_prefix);
  return {
    request: new DecompressDirectionStats(s.scope('request')),
    response: new DecompressDirectionStats(s.scope('response')),
    library: new LibraryStats(s.scope('decompressor_library'), lib.kind),
  };
}
