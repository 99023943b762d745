// Object name rules (interface.ts), shared by every backend so that a name valid on one is valid
// on all, and the UTF-8 byte order in which S3 lists names.
import { ObjstoreError, ObjstoreErrorCode } from './errors.ts';

/** S3's limit on key length. */
export const MAX_NAME_BYTES = 1024;

const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(what: string, name: string, why: string): ObjstoreError {
  return new ObjstoreError(ObjstoreErrorCode.InvalidName, `invalid ${what} ${JSON.stringify(name)}: ${why}`);
}

function checkSegments(what: string, name: string, path: string): void {
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw invalid(what, name, `longer than ${MAX_NAME_BYTES} bytes`);
  // Control characters cannot travel in S3's XML listings.
  if (CONTROL.test(name)) throw invalid(what, name, 'contains a control character');
  for (const seg of path.split('/')) {
    if (seg === '') throw invalid(what, name, 'empty segment (leading, trailing or double "/")');
    if (seg === '.' || seg === '..') throw invalid(what, name, `"${seg}" segment`);
  }
}

/** Throws ObjstoreError `invalid_object_name` unless `name` is a valid object name. */
export function checkName(name: string): void {
  if (typeof name !== 'string' || name === '') throw invalid('object name', String(name), 'empty');
  checkSegments('object name', name, name);
}

/** A directory for iter() as a prefix: "" (the root) or "a/b/"; throws for an invalid one. */
export function dirPrefix(dir: string): string {
  if (typeof dir !== 'string') throw invalid('directory', String(dir), 'not a string');
  if (dir === '') return '';
  const path = dir.endsWith('/') ? dir.slice(0, -1) : dir;
  checkSegments('directory', dir, path);
  return `${path}/`;
}

/** Compares names by their UTF-8 bytes, S3's listing order (JS string order differs past U+FFFF). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Throws ObjstoreError `invalid_range` unless offset and length are non-negative safe integers. */
export function checkRange(name: string, offset: number, length: number): void {
  const ok = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  if (!ok(offset) || !ok(length)) {
    throw new ObjstoreError(ObjstoreErrorCode.InvalidRange, `getRange "${name}": offset ${offset} and length ${length} must be non-negative integers`);
  }
}

/**
 * The direct child of `prefix` that `name` (under it) falls in: the object itself, or the
 * sub-directory with its trailing "/".
 */
export function childOf(prefix: string, name: string): string {
  const slash = name.indexOf('/', prefix.length);
  return slash === -1 ? name : name.slice(0, slash + 1);
}
