// A fetch() response body read in chunks up to a size bound: a peer or issuer answering without end cannot grow memory.

/** The body as UTF-8 text; rejects (and cancels the read) once it exceeds `maxBytes`. */
export async function readBodyBounded(res: Response, maxBytes: number): Promise<string> {
  const reader = res.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
