// What the bucket index needs from libs/objstore's Bucket (one tenant's prefix of it).
export interface IndexBucket {
  /** Object names under `dir` (sorted); sub-directories as `dir/name/` unless recursive. */
  iter(dir: string, opts?: { recursive?: boolean }): AsyncIterable<string>;
  /** Throws an error for which `isNotFound` is true when the object does not exist. */
  get(name: string): Promise<Uint8Array>;
  upload(name: string, body: Uint8Array): Promise<void>;
  delete(name: string): Promise<void>;
}
