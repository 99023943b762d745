// A bucket seen through a prefix: every name gets `<prefix>/` in front, and iter() takes it off.
// tenantBucket() is the per-tenant view (`<tenant>/<ULID>/…`, ARCHITECTURE.md section 5).
import type { Readable } from 'node:stream';
import { TenantError, TenantErrorCode, validateTenantId } from '../tenant/index.ts';
import type { Bucket, IterOptions, ObjectAttributes, UploadBody } from './interface.ts';
import { checkName, dirPrefix } from './names.ts';

export class PrefixedBucket implements Bucket {
  readonly #inner: Bucket;
  readonly #prefix: string;

  /** `prefix` is a directory ("a" or "a/b", a trailing "/" optional); not empty. */
  constructor(inner: Bucket, prefix: string) {
    checkName(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
    this.#inner = inner;
    this.#prefix = dirPrefix(prefix);
  }

  /** The prefix with its trailing "/". */
  get prefix(): string {
    return this.#prefix;
  }

  async *iter(dir: string, opts?: IterOptions): AsyncGenerator<string> {
    for await (const name of this.#inner.iter(this.#prefix + dirPrefix(dir), opts)) yield name.slice(this.#prefix.length);
  }

  async get(name: string): Promise<Uint8Array> {
    return this.#inner.get(this.#name(name));
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    return this.#inner.getRange(this.#name(name), offset, length);
  }

  async getStream(name: string): Promise<Readable> {
    return this.#inner.getStream(this.#name(name));
  }

  async exists(name: string): Promise<boolean> {
    return this.#inner.exists(this.#name(name));
  }

  async upload(name: string, body: UploadBody): Promise<void> {
    return this.#inner.upload(this.#name(name), body);
  }

  async delete(name: string): Promise<void> {
    return this.#inner.delete(this.#name(name));
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    return this.#inner.attributes(this.#name(name));
  }

  // Checked on its own first, so that the error names what the caller passed.
  #name(name: string): string {
    checkName(name);
    return this.#prefix + name;
  }
}

/**
 * The part of `bucket` that belongs to `tenant` (its objects are `<tenant>/…`); throws
 * TenantError for an id that could escape its prefix or collide with another tenant's.
 */
export function tenantBucket(bucket: Bucket, tenant: string): PrefixedBucket {
  if (tenant === '') throw new TenantError(TenantErrorCode.Missing, 'no org id');
  validateTenantId(tenant);
  return new PrefixedBucket(bucket, tenant);
}
