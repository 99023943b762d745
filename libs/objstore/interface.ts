// The object storage contract behind blocks, bucket indexes and markers, modelled on Thanos'
// objstore.Bucket. Implementations: memory.ts, filesystem.ts, s3.ts; all pass testing.ts.
import type { Readable } from 'node:stream';

/** What upload() accepts: the whole object, or its bytes in order (a Readable without an encoding). */
export type UploadBody = Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface ObjectAttributes {
  /** Bytes. */
  readonly size: number;
  /** When the current version was uploaded (S3 keeps whole seconds). */
  readonly lastModified: Date;
}

export interface IterOptions {
  /** List every object under the directory instead of its direct children. Default false. */
  readonly recursive?: boolean;
}

/**
 * One bucket: a flat map from object names to immutable byte strings.
 *
 * Names are non-empty, at most 1024 UTF-8 bytes, `/`-separated, with no empty, `.` or `..`
 * segment (so no leading or trailing `/`) and no control character (U+0000-U+001F, U+007F);
 * any other character is allowed. Every
 * method rejects an invalid name with ObjstoreError `invalid_object_name`, so a name that works
 * on one backend works on all. `/` makes "directories" for iter(); they are not objects and exist
 * only while an object is under them. On a filesystem an object cannot share its name with a
 * directory ("a" and "a/b"), so layouts avoid that.
 *
 * Missing objects: get, getRange, getStream and attributes reject with ObjectNotFoundError
 * (test with isObjectNotFound); exists answers false; delete succeeds.
 *
 * Concurrency: any number of calls may run at once, from any number of processes. upload() is
 * atomic: readers see the previous object or the whole new one, never a part, and of concurrent
 * uploads to one name exactly one whole body remains. A failed upload leaves the previous object
 * (or none). Reads after a resolved upload or delete see it (S3 is read-after-write consistent).
 * Returned byte arrays belong to the caller.
 */
export interface Bucket {
  /**
   * Names under `dir` ("" for the whole bucket; "a" and "a/" are the same directory), full names
   * (with `dir`), sorted by UTF-8 bytes as S3 lists them. Non-recursive: the direct children,
   * objects as `dir/name` and sub-directories as `dir/sub/`. Recursive: every object below, and
   * no directories. A missing directory lists nothing. Iterate at most once.
   */
  iter(dir: string, opts?: IterOptions): AsyncIterable<string>;

  /** The whole object. */
  get(name: string): Promise<Uint8Array>;

  /**
   * Bytes [offset, offset+length) of the object, cut at its end: past the end, or with
   * `length` 0, the result is shorter or empty (still ObjectNotFoundError if the object is
   * missing). `offset` and `length` are non-negative safe integers, else ObjstoreError
   * `invalid_range`.
   */
  getRange(name: string, offset: number, length: number): Promise<Uint8Array>;

  /**
   * The object as a stream, for objects too big to hold in memory. Resolves once the object was
   * found (so a missing one rejects here, not in the stream); destroy the stream if not read to
   * the end. A failure while reading is an error on the stream; it is not retried.
   */
  getStream(name: string): Promise<Readable>;

  exists(name: string): Promise<boolean>;

  /** Writes the object, replacing any previous one; atomic (see above). */
  upload(name: string, body: UploadBody): Promise<void>;

  /** Removes the object; a missing object is not an error. */
  delete(name: string): Promise<void>;

  attributes(name: string): Promise<ObjectAttributes>;
}

/** A bucket its owner closes: releases connections. No calls after close(). */
export interface BucketClient extends Bucket {
  close(): Promise<void>;
}
