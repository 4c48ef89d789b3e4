// HTTP filters (compressor): Accept-Encoding with q-values against the compressors in a chain — Envoy's chooseEncoding.
import { cropLeft, cropRight, trimOws } from '../compression/headers.js';

/** How the Accept-Encoding header counted for this decision (Envoy's header_* stats). */
export type HeaderStat = 'not_valid' | 'identity' | 'wildcard' | 'valid';

export interface EncodingDecision {
  /** The content coding to use; 'identity' for none. */
  readonly encoding: string;
  readonly stat: HeaderStat;
}

/** One compressor filter of the request's chain, as the decision sees it. */
export interface ChainCompressor {
  readonly encoding: string;
  readonly chooseFirst: boolean;
  /** Response media types it compresses, lower case. */
  readonly contentTypes: ReadonlySet<string>;
}

export interface AcceptedCoding {
  readonly name: string;
  readonly q: number;
}

const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The codings of an Accept-Encoding value in order. A `q` parameter directly after the coding sets its weight
 * (default 1); a token whose q-value does not parse is left out, as Envoy does.
 */
export function parseAcceptEncoding(value: string): AcceptedCoding[] {
  const out: AcceptedCoding[] = [];
  for (const token of value.split(',')) {
    if (token.length === 0) continue;
    const name = trimOws(cropRight(token, ';'));
    let q = 1;
    const params = cropLeft(token, ';');
    if (params !== token) {
      const qValue = cropLeft(params, '=');
      if (qValue !== params && trimOws(cropRight(params, '=')).toLowerCase() === 'q') {
        const t = trimOws(qValue);
        if (!FLOAT.test(t)) continue;
        q = Number(t);
      }
    }
    out.push({ name, q });
  }
  return out;
}

const IDENTITY = 'identity';
const WILDCARD = '*';

/**
 * Picks the response coding once per request for every compressor in the chain: the highest q among codings both
 * the client accepts and some compressor (allowed for this media type) provides; `identity` when none; on a tie the
 * compressor with choose_first wins; `*` means the first registered compressor.
 */
export function chooseEncoding(acceptEncoding: string, mediaType: string | undefined, chain: readonly ChainCompressor[]): EncodingDecision {
  const ct = mediaType === undefined || mediaType === '' ? undefined : mediaType.toLowerCase();
  // encoding -> [registration order, choose_first]; a later compressor for the same coding is ignored
  const allowed = new Map<string, { order: number; chooseFirst: boolean }>();
  for (const c of chain) {
    if (ct !== undefined && c.contentTypes.size > 0 && !c.contentTypes.has(ct)) continue;
    if (!allowed.has(c.encoding)) allowed.set(c.encoding, { order: allowed.size, chooseFirst: c.chooseFirst });
  }
  const accepted = parseAcceptEncoding(acceptEncoding);
  // q=0 rules a coding out; the pair stays in `accepted` so a later `*` does not bring it back
  for (const a of accepted) if (a.q === 0) allowed.delete(a.name);
  if (accepted.length === 0 || allowed.size === 0) return { encoding: IDENTITY, stat: 'not_valid' };

  let choice: AcceptedCoding = { name: IDENTITY, q: 0 };
  for (const a of accepted) {
    const own = allowed.get(a.name);
    if (own === undefined && a.name !== IDENTITY && a.name !== WILDCARD) continue;
    if (a.q > choice.q || (a.q === choice.q && own?.chooseFirst === true)) choice = a;
  }
  if (choice.q === 0 || Number.isNaN(choice.q)) return { encoding: IDENTITY, stat: 'not_valid' };
  if (choice.name === IDENTITY) return { encoding: IDENTITY, stat: 'identity' };
  if (choice.name === WILDCARD) {
    let first: string | undefined;
    let order = Infinity;
    for (const [enc, v] of allowed) if (v.order < order) ((order = v.order), (first = enc));
    return { encoding: first ?? IDENTITY, stat: 'wildcard' };
  }
  return { encoding: choice.name, stat: 'valid' };
}
