// Uploading a local file (a block's index or chunks segment) without reading it into memory.
import { open } from 'node:fs/promises';
import type { Bucket } from './interface.ts';

/** Streams the file at `path` into `name`; a missing file rejects with the fs error (ENOENT). */
export async function uploadFile(bucket: Bucket, name: string, path: string): Promise<void> {
  // Opened first: a stream that fails to open would emit its error before anyone listens.
  const fh = await open(path, 'r');
  const stream = fh.createReadStream();
  try {
    await bucket.upload(name, stream);
  } finally {
    // Closes the file too (autoClose), also when the upload failed before reading it all.
    stream.destroy();
  }
}
