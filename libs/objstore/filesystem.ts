// The filesystem bucket (the embedded default, ./data/bucket): an object is a file under the root
// at its name's path. Uploads write a temporary file and rename it over the target, so readers
// never see a partial object; deletes remove directories left empty, as S3 has no directories.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Dirent } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chunksOf } from './body.ts';
import { ObjectNotFoundError, ObjstoreError, ObjstoreErrorCode, errorMessage } from './errors.ts';
import type { BucketClient, IterOptions, ObjectAttributes, UploadBody } from './interface.ts';
import { checkName, checkRange, compareNames, dirPrefix } from './names.ts';

/**
 * Where uploads are written before the rename: in the root, so on the same filesystem. Not a
 * valid tenant id ("~"), and reserved: object names may not start with it.
 */
export const UPLOADS_DIR = '.uploads~';

// What the OS says when a path is not a file: missing, a parent is a file, or it is a directory.
const NOT_A_FILE = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export class FilesystemBucket implements BucketClient {
  readonly #root: string;

  /** `dir` is created on the first upload; the constructor does no I/O. */
  constructor(dir: string) {
    // Absolute and normalized, so that the pruning in delete() recognises the root.
    this.#root = resolve(dir);
  }

  async *iter(dir: string, opts: IterOptions = {}): AsyncGenerator<string> {
    const prefix = dirPrefix(dir);
    yield* this.#list(prefix, opts.recursive === true);
  }

  async get(name: string): Promise<Uint8Array> {
    const path = this.#path(name);
    try {
      return await readFile(path);
    } catch (err) {
      throw this.#error('get', name, err);
    }
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(name, offset, length);
    const path = this.#path(name);
    try {
      const fh = await open(path, 'r');
      try {
        const size = (await fh.stat()).size;
        const out = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        // read() may return less than asked; loop until the range is in (or the file got shorter).
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await fh.read(out, done, out.length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return out.subarray(0, done);
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw this.#error('getRange', name, err);
    }
  }

  async getStream(name: string): Promise<Readable> {
    const path = this.#path(name);
    try {
      // Opened here so that a missing object rejects now; a renamed-over file stays readable.
      const fh = await open(path, 'r');
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      }
      return fh.createReadStream();
    } catch (err) {
      throw this.#error('getStream', name, err);
    }
  }

  async exists(name: string): Promise<boolean> {
    const path = this.#path(name);
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      if (NOT_A_FILE.has(code(err) ?? '')) return false;
      throw this.#error('exists', name, err);
    }
  }

  async upload(name: string, body: UploadBody): Promise<void> {
    const path = this.#path(name);
    const tmpDir = join(this.#root, UPLOADS_DIR);
    const tmp = join(tmpDir, randomUUID());
    try {
      await mkdir(tmpDir, { recursive: true });
      // flush: fsync before close, so that the renamed file has its bytes after a crash.
      await pipeline(Readable.from(chunksOf(body)), createWriteStream(tmp, { flush: true }));
      // A concurrent delete may prune the directory between mkdir and rename: try again.
      for (let attempt = 1; ; attempt++) {
        await mkdir(dirname(path), { recursive: true });
        try {
          await rename(tmp, path);
          return;
        } catch (err) {
          if (code(err) !== 'ENOENT' || attempt === 5) throw err;
        }
      }
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof TypeError) throw err;
      // Not "not found": here ENOTDIR or EISDIR mean a file and a directory would share a name.
      throw this.#error('upload', name, err, false);
    }
  }

  async delete(name: string): Promise<void> {
    const path = this.#path(name);
    try {
      await unlink(path);
    } catch (err) {
      // Missing, or a directory (not an object): nothing to delete.
      if (NOT_A_FILE.has(code(err) ?? '') || code(err) === 'EPERM') return;
      throw this.#error('delete', name, err);
    }
    // Remove the directories this left empty, up to the root; a non-empty one stops it.
    for (let dir = dirname(path); dir !== this.#root && dir.startsWith(this.#root); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    const path = this.#path(name);
    try {
      const st = await stat(path);
      if (!st.isFile()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      return { size: st.size, lastModified: st.mtime };
    } catch (err) {
      throw this.#error('attributes', name, err);
    }
  }

  async close(): Promise<void> {}

  #path(name: string): string {
    checkName(name);
    if (name === UPLOADS_DIR || name.startsWith(`${UPLOADS_DIR}/`)) {
      throw new ObjstoreError(ObjstoreErrorCode.InvalidName, `invalid object name "${name}": "${UPLOADS_DIR}/" is reserved by the filesystem bucket`);
    }
    // Valid names have no "." or ".." segment and no leading "/", so this stays under the root.
    return join(this.#root, ...name.split('/'));
  }

  #error(op: string, name: string, err: unknown, read = true): Error {
    if (err instanceof ObjstoreError) return err;
    if (read && NOT_A_FILE.has(code(err) ?? '')) return new ObjectNotFoundError(name, { cause: err });
    return new ObjstoreError(ObjstoreErrorCode.Backend, `objstore filesystem: ${op} "${name}" in ${this.#root}: ${errorMessage(err)}`, { cause: err });
  }

  /**
   * Depth-first listing in UTF-8 byte order of full names: directories sort as "name/", which is
   * where their contents fall among their siblings ("a-b" < "a/…" < "a0").
   */
  async *#list(prefix: string, recursive: boolean): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.#root, ...prefix.split('/').filter((s) => s !== '')), { withFileTypes: true });
    } catch (err) {
      if (NOT_A_FILE.has(code(err) ?? '')) return;
      throw this.#error('iter', prefix, err);
    }
    const children: string[] = [];
    for (const e of entries) {
      if (prefix === '' && e.name === UPLOADS_DIR) continue;
      if (e.isFile()) children.push(prefix + e.name);
      else if (e.isDirectory()) children.push(`${prefix}${e.name}/`);
    }
    children.sort(compareNames);
    for (const child of children) {
      if (!child.endsWith('/')) yield child;
      else if (recursive) yield* this.#list(child, true);
      else if (await this.#hasObject(child)) yield child;
    }
  }

  /** Whether a directory holds an object: empty ones (left by a crash) are not listed. */
  async #hasObject(prefix: string): Promise<boolean> {
    for await (const _ of this.#list(prefix, true)) return true;
    return false;
  }
}
