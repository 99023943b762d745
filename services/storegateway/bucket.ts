// What the store-gateway needs from an object-storage bucket: a subset of libs/objstore's Bucket
// (kept here so that the store-gateway does not wait for it), and the tenant prefix over one.

/**
 * Reads of a bucket. Names are full object names ("<ULID>/index"); concurrent calls are fine.
 * Errors for missing objects must satisfy the NotFound check given next to the bucket.
 */
export interface StoreBucket {
  get(name: string): Promise<Uint8Array>;
  /** `length` bytes from `offset`; fewer when the object ends first. */
  getRange(name: string, offset: number, length: number): Promise<Uint8Array>;
  attributes(name: string): Promise<{ size: number; lastModified: Date }>;
  /** Object names under `dir`, sorted; without `recursive`, sub-directories as `dir/sub/`. */
  iter(dir: string, opts?: { recursive?: boolean }): AsyncIterable<string>;
  exists(name: string): Promise<boolean>;
}

/** Whether an error of the bucket means "no such object". */
export type IsNotFound = (err: unknown) => boolean;

/** The part of `bucket` under `<prefix>/`, with names relative to it (a tenant's blocks). */
export function prefixedBucket(bucket: StoreBucket, prefix: string): StoreBucket {
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    get: (name) => bucket.get(p + name),
    getRange: (name, offset, length) => bucket.getRange(p + name, offset, length),
    attributes: (name) => bucket.attributes(p + name),
    exists: (name) => bucket.exists(p + name),
    async *iter(dir, opts) {
      for await (const name of bucket.iter(p + dir, opts)) yield name.slice(p.length);
    },
  };
}
