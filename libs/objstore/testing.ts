// The acceptance suite of the Bucket contract (interface.ts). Every implementation runs it inside
// its own describe(): memory.test.ts, filesystem.test.ts and s3.test.ts. Each test gets an empty bucket.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { TenantError } from '../tenant/index.ts';
import { ObjectNotFoundError, ObjstoreError, isObjectNotFound } from './errors.ts';
import type { Bucket } from './interface.ts';
import { tenantBucket } from './prefixed.ts';
import { uploadFile } from './upload_file.ts';

/** One empty bucket under test. */
export interface BucketBackend {
  readonly bucket: Bucket;
  /** Releases the bucket (and its data). */
  close(): Promise<void>;
}

export interface BucketAcceptanceOptions {
  /**
   * Size of the "large" objects; for S3 make it a few parts (above the part size) so that
   * multipart uploads and ranges across parts are exercised. Default 3 MiB.
   */
  readonly largeSize?: number;
  /**
   * Run the concurrent-overwrite test (default true). Only for a test server that itself writes
   * objects in place (s3rver): the atomicity of uploads is then not ours to test.
   */
  readonly concurrentOverwrites?: boolean;
}

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Deterministic pseudo-random bytes (every byte value occurs). */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const n of it) out.push(n);
  return out;
}

export async function readStream(stream: Readable): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected), `${what}: content differs`);
}

const notFound = (err: unknown): boolean => err instanceof ObjectNotFoundError && isObjectNotFound(err);
const invalidName = (err: unknown): boolean => err instanceof ObjstoreError && err.code === 'invalid_object_name';

async function* chunked(data: Uint8Array, chunk: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
}

/** Registers the suite's tests (call it inside describe()); `newBackend` gives each test an empty bucket. */
export function bucketAcceptanceSuite(newBackend: () => Promise<BucketBackend>, opts: BucketAcceptanceOptions = {}): void {
  const largeSize = opts.largeSize ?? 3 * 1024 * 1024;
  const skip = (name: string): void => {
    it(name, { skip: 'the test server writes objects in place' }, () => {});
  };
  const test = (name: string, fn: (b: Bucket) => Promise<void>): void => {
    it(name, { timeout: 60_000 }, async () => {
      const backend = await newBackend();
      try {
        await fn(backend.bucket);
      } finally {
        await backend.close();
      }
    });
  };

  test('an empty bucket lists nothing and has no objects', async (b) => {
    assert.deepEqual(await collect(b.iter('')), []);
    assert.deepEqual(await collect(b.iter('', { recursive: true })), []);
    assert.deepEqual(await collect(b.iter('missing/')), []);
    assert.equal(await b.exists('a/b'), false);
    await b.delete('a/b');
  });

  test('missing objects reject get, getRange, getStream and attributes with ObjectNotFoundError', async (b) => {
    await assert.rejects(b.get('nope'), notFound);
    await assert.rejects(b.getRange('nope', 0, 10), notFound);
    await assert.rejects(b.getRange('nope', 0, 0), notFound);
    await assert.rejects(b.getStream('dir/nope'), notFound);
    await assert.rejects(b.attributes('dir/nope'), notFound);
    // A "directory" is not an object either.
    await b.upload('dir/x', bytes('x'));
    await assert.rejects(b.get('dir'), notFound);
    await assert.rejects(b.attributes('dir'), notFound);
    assert.equal(await b.exists('dir'), false);
    assert.equal(isObjectNotFound(new Error('object not found')), false);
  });

  test('round trips empty, small, binary and large objects', async (b) => {
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['small.txt', bytes('hello, world')],
      ['binary', Uint8Array.from({ length: 512 }, (_, i) => (i * 131) % 256)],
      ['dir/large', pattern(largeSize)],
    ];
    for (const [name, data] of cases) await b.upload(name, data);
    for (const [name, data] of cases) {
      assertBytes(await b.get(name), data, `get ${name}`);
      assertBytes(await readStream(await b.getStream(name)), data, `getStream ${name}`);
      assert.equal((await b.attributes(name)).size, data.length, `size of ${name}`);
      assert.equal(await b.exists(name), true);
    }
  });

  test('uploads from a Readable, an async iterable, a subarray and a file', async (b) => {
    const data = pattern(largeSize + 12345, 7);
    await b.upload('readable', Readable.from(chunked(data, 64 * 1024)));
    assertBytes(await b.get('readable'), data, 'from a Readable');
    await b.upload('iterable', chunked(data, 1000));
    assertBytes(await b.get('iterable'), data, 'from an async iterable');
    // A view into a bigger buffer: only its own bytes are uploaded.
    const backing = pattern(1000, 3);
    await b.upload('view', backing.subarray(100, 200));
    assertBytes(await b.get('view'), backing.subarray(100, 200), 'from a subarray');
    const dir = mkdtempSync(join(tmpdir(), 'strata-objstore-'));
    try {
      const file = join(dir, 'index');
      writeFileSync(file, data);
      await uploadFile(b, 'file', file);
      assertBytes(await b.get('file'), data, 'from a file');
      await assert.rejects(uploadFile(b, 'nofile', join(dir, 'missing')));
      assert.equal(await b.exists('nofile'), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('callers own the bytes they pass and get', async (b) => {
    const data = bytes('abcdef');
    await b.upload('x', data);
    data[0] = 0x7a;
    const got = await b.get('x');
    assert.equal(text(got), 'abcdef');
    got[1] = 0x7a;
    assert.equal(text(await b.get('x')), 'abcdef');
  });

  test('getRange returns the bytes asked for, cut at the end of the object', async (b) => {
    await b.upload('r', bytes('0123456789'));
    assert.equal(text(await b.getRange('r', 0, 3)), '012');
    assert.equal(text(await b.getRange('r', 4, 2)), '45');
    assert.equal(text(await b.getRange('r', 7, 100)), '789');
    assert.equal(text(await b.getRange('r', 0, 10)), '0123456789');
    assert.equal((await b.getRange('r', 10, 5)).length, 0);
    assert.equal((await b.getRange('r', 50, 5)).length, 0);
    assert.equal((await b.getRange('r', 3, 0)).length, 0);
    await b.upload('empty', new Uint8Array(0));
    assert.equal((await b.getRange('empty', 0, 5)).length, 0);
    for (const [off, len] of [[-1, 2], [0, -1], [1.5, 2], [0, Number.NaN]] as const) {
      await assert.rejects(b.getRange('r', off, len), (err) => err instanceof ObjstoreError && err.code === 'invalid_range');
    }
    // Across what are parts of a multipart upload, and at the far end.
    const large = pattern(largeSize, 5);
    await b.upload('large', large);
    const mid = Math.floor(largeSize / 2);
    assertBytes(await b.getRange('large', mid - 1000, 300_000), large.subarray(mid - 1000, mid + 299_000), 'middle range');
    assertBytes(await b.getRange('large', largeSize - 10, 100), large.subarray(largeSize - 10), 'tail range');
  });

  test('iter lists direct children or every object, sorted by UTF-8 bytes', async (b) => {
    // U+FF5E sorts before U+1F600 in UTF-8, after it in UTF-16 (JS string order).
    const names = [
      'a/b', 'a/c/d', 'a/c/e', 'a-b', 'a0', 'b/x/y/z', 'z z', '\u00fc/x', '\uff5e', '\u{1f600}',
      "sp%41+&=?#;@:,$!'()*~[]{}", 'dot.d/x.json', '!x',
    ];
    for (const n of names) await b.upload(n, bytes(n));
    assert.deepEqual(await collect(b.iter('')), [
      '!x', 'a-b', 'a/', 'a0', 'b/', 'dot.d/', "sp%41+&=?#;@:,$!'()*~[]{}", 'z z', '\u00fc/', '\uff5e', '\u{1f600}',
    ]);
    assert.deepEqual(await collect(b.iter('', { recursive: true })), [
      '!x', 'a-b', 'a/b', 'a/c/d', 'a/c/e', 'a0', 'b/x/y/z', 'dot.d/x.json', "sp%41+&=?#;@:,$!'()*~[]{}", 'z z', '\u00fc/x', '\uff5e', '\u{1f600}',
    ]);
    assert.deepEqual(await collect(b.iter('a')), ['a/b', 'a/c/']);
    assert.deepEqual(await collect(b.iter('a/')), ['a/b', 'a/c/']);
    assert.deepEqual(await collect(b.iter('a', { recursive: true })), ['a/b', 'a/c/d', 'a/c/e']);
    assert.deepEqual(await collect(b.iter('a/c/')), ['a/c/d', 'a/c/e']);
    assert.deepEqual(await collect(b.iter('b/x')), ['b/x/y/']);
    assert.deepEqual(await collect(b.iter('\u00fc')), ['\u00fc/x']);
    // A prefix is a directory, not a string prefix: "a" does not list "a-b" or "a0".
    assert.deepEqual(await collect(b.iter('a-b')), []);
    assert.deepEqual(await collect(b.iter('nope', { recursive: true })), []);
    for (const n of names) assert.equal(text(await b.get(n)), n, `content of ${n}`);
  });

  test('iter rejects directories that break the name rules', async (b) => {
    for (const dir of ['/a', '../a', 'a//b', 'a/./b', 'a/..', '//']) {
      await assert.rejects(collect(b.iter(dir)), invalidName, `dir ${JSON.stringify(dir)}`);
    }
  });

  test('names that could escape a root or be ambiguous are rejected by every method', async (b) => {
    const bad = ['', '/a', 'a/', 'a//b', '.', '..', '../a', 'a/../b', 'a/./b', 'a/..', 'x\u0000y', 'x\ny', 'x'.repeat(1025)];
    for (const n of bad) {
      const what = `name ${JSON.stringify(n.slice(0, 20))}`;
      await assert.rejects(b.upload(n, bytes('x')), invalidName, what);
      await assert.rejects(b.get(n), invalidName, what);
      await assert.rejects(b.getRange(n, 0, 1), invalidName, what);
      await assert.rejects(b.getStream(n), invalidName, what);
      await assert.rejects(b.exists(n), invalidName, what);
      await assert.rejects(b.delete(n), invalidName, what);
      await assert.rejects(b.attributes(n), invalidName, what);
    }
    assert.deepEqual(await collect(b.iter('', { recursive: true })), []);
  });

  test('upload replaces an object whole', async (b) => {
    await b.upload('o', pattern(100_000, 1));
    await b.upload('o', bytes('short'));
    assert.equal(text(await b.get('o')), 'short');
    assert.equal((await b.attributes('o')).size, 5);
    assert.deepEqual(await collect(b.iter('')), ['o']);
  });

  test('delete removes an object and the directories it leaves empty; missing is fine', async (b) => {
    await b.upload('t/blk/meta.json', bytes('{}'));
    await b.upload('t/blk/chunks/000001', bytes('c'));
    await b.upload('t/other', bytes('o'));
    await b.delete('t/blk/chunks/000001');
    assert.equal(await b.exists('t/blk/chunks/000001'), false);
    await assert.rejects(b.get('t/blk/chunks/000001'), notFound);
    assert.deepEqual(await collect(b.iter('t/blk')), ['t/blk/meta.json']);
    // Deleting a "directory" deletes nothing.
    await b.delete('t/blk');
    assert.equal(await b.exists('t/blk/meta.json'), true);
    await b.delete('t/blk/meta.json');
    assert.deepEqual(await collect(b.iter('t')), ['t/other']);
    assert.deepEqual(await collect(b.iter('')), ['t/']);
    await b.delete('t/blk/meta.json');
    await b.delete('never/was');
    await b.delete('t/other');
    assert.deepEqual(await collect(b.iter('')), []);
  });

  test('attributes give the size and the upload time', async (b) => {
    const before = Date.now();
    await b.upload('a', pattern(1234));
    const after = Date.now();
    const attrs = await b.attributes('a');
    assert.equal(attrs.size, 1234);
    assert.ok(attrs.lastModified instanceof Date);
    // S3 keeps whole seconds.
    const t = attrs.lastModified.getTime();
    assert.ok(t >= before - 1000 && t <= after + 1000, `lastModified ${attrs.lastModified.toISOString()} not within the upload`);
  });

  test('getStream streams an object that can be abandoned half-read', async (b) => {
    const data = pattern(largeSize, 9);
    await b.upload('s', data);
    const stream = await b.getStream('s');
    const first = await new Promise<Buffer>((resolve, reject) => {
      stream.once('data', (c: Buffer) => resolve(c));
      stream.once('error', reject);
    });
    assert.ok(first.length > 0);
    assertBytes(first, data.subarray(0, first.length), 'first chunk');
    stream.destroy();
    assertBytes(await b.get('s'), data, 'object after an abandoned stream');
  });

  test('a failed upload leaves the previous object and nothing partial', async (b) => {
    await b.upload('f', bytes('old'));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield pattern(100_000, 2);
      throw new Error('the source broke');
    }
    await assert.rejects(b.upload('f', failing()));
    await assert.rejects(b.upload('g', failing()));
    // Chunks that are not bytes (a Readable with an encoding) are refused.
    await assert.rejects(b.upload('h', Readable.from(['text'])), TypeError);
    assert.equal(text(await b.get('f')), 'old');
    assert.equal(await b.exists('g'), false);
    assert.equal(await b.exists('h'), false);
    assert.deepEqual(await collect(b.iter('', { recursive: true })), ['f']);
  });

  (opts.concurrentOverwrites === false ? skip : test)('concurrent uploads to one name leave one whole object; readers never see a partial one', async (b) => {
    const size = 256 * 1024;
    const versions = Array.from({ length: 6 }, (_, i) => new Uint8Array(size).fill(i + 1));
    await b.upload('c', new Uint8Array(size).fill(0xff));
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const got = await b.get('c');
        assert.equal(got.length, size, 'a read saw a partial object');
        assert.ok(got.every((v) => v === got[0]), 'a read saw a mix of versions');
        reads++;
        // An in-memory get resolves without I/O: let the uploads run.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      await Promise.all(versions.map((v) => b.upload('c', Readable.from(chunked(v, 16 * 1024)))));
    } finally {
      writing = false;
      await reader;
    }
    const final = await b.get('c');
    assert.equal(final.length, size);
    assert.ok(final[0]! >= 1 && final[0]! <= versions.length, `final version ${final[0]}`);
    assert.ok(final.every((v) => v === final[0]), 'the final object mixes versions');
    assert.ok(reads > 0);
    assert.deepEqual(await collect(b.iter('', { recursive: true })), ['c']);
  });

  test('tenant buckets keep tenants apart', async (b) => {
    const a = tenantBucket(b, 'team-a');
    const a2 = tenantBucket(b, 'team-a2');
    const other = tenantBucket(b, 'team-b');
    await a.upload('01BLOCK/meta.json', bytes('a'));
    await a.upload('bucket-index.json.gz', bytes('ia'));
    await a2.upload('01BLOCK/meta.json', bytes('a2'));
    await other.upload('01BLOCK/meta.json', bytes('b'));
    assert.equal(text(await a.get('01BLOCK/meta.json')), 'a');
    assert.equal(text(await a2.get('01BLOCK/meta.json')), 'a2');
    assert.equal(text(await other.get('01BLOCK/meta.json')), 'b');
    assert.equal(text(await b.get('team-a/01BLOCK/meta.json')), 'a');
    assert.equal(text(await a.getRange('bucket-index.json.gz', 1, 5)), 'a');
    assert.equal(text(await readStream(await a.getStream('bucket-index.json.gz'))), 'ia');
    assert.equal((await a.attributes('bucket-index.json.gz')).size, 2);
    // iter strips the prefix, and "team-a" does not see "team-a2".
    assert.deepEqual(await collect(a.iter('')), ['01BLOCK/', 'bucket-index.json.gz']);
    assert.deepEqual(await collect(a.iter('', { recursive: true })), ['01BLOCK/meta.json', 'bucket-index.json.gz']);
    assert.deepEqual(await collect(a.iter('01BLOCK')), ['01BLOCK/meta.json']);
    assert.deepEqual(await collect(b.iter('')), ['team-a/', 'team-a2/', 'team-b/']);
    assert.equal(await other.exists('bucket-index.json.gz'), false);
    await assert.rejects(other.get('bucket-index.json.gz'), notFound);
    await other.delete('01BLOCK/meta.json');
    assert.equal(text(await a.get('01BLOCK/meta.json')), 'a');
    assert.deepEqual(await collect(other.iter('', { recursive: true })), []);
    // A tenant's names obey the same rules, so none reaches another tenant's objects.
    await assert.rejects(a.get('../team-b/01BLOCK/meta.json'), invalidName);
    await assert.rejects(collect(a.iter('../team-a2')), invalidName);
    for (const bad of ['', '.', '..', 'a/b', 'x y', 'é', 'x'.repeat(151)]) {
      assert.throws(() => tenantBucket(b, bad), TenantError, `tenant ${JSON.stringify(bad)}`);
    }
  });
}
