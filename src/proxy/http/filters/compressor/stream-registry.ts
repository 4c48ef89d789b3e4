// HTTP filters (compressor): per-request list of the chain's compressors and the one encoding decision they share.
import type { ChainCompressor, EncodingDecision } from './encoding-choice.js';

/** What every compressor filter of one request sees (Envoy keeps this in the stream's filter state). */
export interface StreamCompressors {
  /** In chain order: the order filters were made for the request. */
  readonly chain: ChainCompressor[];
  /** Made by the first compressor to need it, then reused by the others. */
  decision: EncodingDecision | undefined;
}

const byStream = new WeakMap<object, StreamCompressors>();

/** Adds one compressor to its request's list (called as the request's filters are made, in chain order). */
export function registerCompressor(stream: object, c: ChainCompressor): StreamCompressors {
  let s = byStream.get(stream);
  if (s === undefined) {
    s = { chain: [], decision: undefined };
    byStream.set(stream, s);
  }
  s.chain.push(c);
  return s;
}
