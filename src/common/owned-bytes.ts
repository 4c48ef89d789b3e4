// Bytes kept for long, in memory of their own rather than in Node's shared allocation pool.

/**
 * `bytes` in an allocation of their own. Node hands out small Buffers as slices of shared 8 KiB slabs, and one slice
 * kept alive keeps its whole slab: a replica's cached encodings (thousands of resources of a few hundred bytes, from
 * many snapshots) pinned ~220 MB of slabs that way. Bytes that already own their memory are returned as they are.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const out = Buffer.allocUnsafeSlow(bytes.byteLength);
  out.set(bytes);
  return out;
}
