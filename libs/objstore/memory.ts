// The in-process bucket, for tests of code that uses a Bucket. Objects are copied in and out, so
// no caller can alias a stored object. Nothing is kept after the process ends.
import { Readable } from 'node:stream';
import { readBody } from './body.ts';
import { ObjectNotFoundError } from './errors.ts';
import type { BucketClient, IterOptions, ObjectAttributes, UploadBody } from './interface.ts';
import { checkName, checkRange, childOf, compareNames, dirPrefix } from './names.ts';

interface StoredObject {
  readonly data: Uint8Array;
  readonly lastModified: Date;
}

export class MemoryBucket implements BucketClient {
  readonly #objects = new Map<string, StoredObject>();

  async *iter(dir: string, opts: IterOptions = {}): AsyncGenerator<string> {
    const prefix = dirPrefix(dir);
    const out = new Set<string>();
    for (const name of this.#objects.keys()) {
      if (name.startsWith(prefix)) out.add(opts.recursive ? name : childOf(prefix, name));
    }
    yield* [...out].sort(compareNames);
  }

  async get(name: string): Promise<Uint8Array> {
    return this.#find(name).data.slice();
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(name, offset, length);
    return this.#find(name).data.slice(offset, offset + length);
  }

  async getStream(name: string): Promise<Readable> {
    return Readable.from([Buffer.from(this.#find(name).data)]);
  }

  async exists(name: string): Promise<boolean> {
    checkName(name);
    return this.#objects.has(name);
  }

  async upload(name: string, body: UploadBody): Promise<void> {
    checkName(name);
    // Read fully before storing: a failed body leaves the previous object.
    const data = await readBody(body);
    this.#objects.set(name, { data, lastModified: new Date() });
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    this.#objects.delete(name);
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    const o = this.#find(name);
    return { size: o.data.length, lastModified: new Date(o.lastModified) };
  }

  async close(): Promise<void> {}

  #find(name: string): StoredObject {
    checkName(name);
    const o = this.#objects.get(name);
    if (!o) throw new ObjectNotFoundError(name);
    return o;
  }
}
