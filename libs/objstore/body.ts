// Upload bodies as a sequence of byte chunks, whatever form the caller gave.
import type { UploadBody } from './interface.ts';

/** The body's chunks in order; a chunk that is not bytes (a Readable with an encoding) is a TypeError. */
export async function* chunksOf(body: UploadBody): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError(`upload body chunks must be Uint8Array, got ${typeof chunk}`);
    yield chunk;
  }
}

/** The whole body in one fresh array (never aliasing the caller's bytes). */
export async function readBody(body: UploadBody): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body.slice();
  const parts: Uint8Array[] = [];
  for await (const c of chunksOf(body)) parts.push(c);
  return Buffer.concat(parts);
}
