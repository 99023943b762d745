// A block's meta.json: Prometheus' BlockMeta (version 1) plus Thanos' `thanos` section.
// meta.json is the block's completeness marker, so it is written last and atomically.

import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { compareStrings } from '../../model/index.ts';
import { isULID } from './ulid.ts';

export const META_FILENAME = 'meta.json';
export const META_VERSION_1 = 1;

export interface BlockStats {
  numSamples: number;
  /** Prometheus 3.x splits samples by kind; absent (0) in older blocks. */
  numFloatSamples?: number;
  numHistogramSamples?: number;
  numSeries: number;
  numChunks: number;
  numTombstones?: number;
}

/** A block by ULID and time range, as recorded in `compaction.parents`. */
export interface BlockDesc {
  ulid: string;
  minTime: number;
  maxTime: number;
}

export interface BlockMetaCompaction {
  /** Maximum number of compaction cycles any source block has gone through (1 for a head block). */
  level: number;
  /** ULIDs of all source head blocks that went into the block. */
  sources: string[];
  /** The compaction produced no samples; the block is to be deleted. */
  deletable?: boolean;
  /** The direct blocks this one was compacted from. */
  parents?: BlockDesc[];
  failed?: boolean;
  /** E.g. "from-out-of-order". */
  hints?: string[];
}

export interface ThanosFile {
  rel_path: string;
  /** Omitted for meta.json itself. */
  size_bytes?: number;
  hash?: unknown;
}

/** Thanos' section: who produced the block and how to group it for compaction. */
export interface ThanosMeta {
  /** Thanos section version; absent means 1. */
  version?: number;
  /** External labels identifying the producer (in Strata: the tenant and replica). */
  labels: Record<string, string>;
  /** Downsampling resolution in milliseconds; 0 for raw data. */
  downsample: { resolution: number };
  /** What uploaded the block: "sidecar", "receive", "compactor", ... */
  source: string;
  /** Deprecated by `files`. */
  segment_files?: string[];
  /** Every file of the block, sorted by path. */
  files?: ThanosFile[];
  /** Deletions and relabelings applied; kept as-is. */
  rewrites?: unknown[];
}

export interface BlockMeta {
  ulid: string;
  /** Time range of the samples, in ms; `maxTime` is exclusive. */
  minTime: number;
  maxTime: number;
  stats: BlockStats;
  compaction: BlockMetaCompaction;
  version: typeof META_VERSION_1;
  thanos?: ThanosMeta;
}

export class MetaError extends Error {
  override readonly name = 'MetaError';
}

/** Reads `<dir>/meta.json`. */
export async function readMeta(dir: string): Promise<BlockMeta> {
  const path = join(dir, META_FILENAME);
  const text = await readFile(path, 'utf8');
  try {
    return parseMeta(text);
  } catch (e) {
    if (e instanceof MetaError || e instanceof SyntaxError) throw new MetaError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Writes `<dir>/meta.json` atomically: to `meta.json.tmp`, fsynced, renamed over, then the
 * directory is fsynced so the rename survives a crash. Returns the size in bytes.
 */
export async function writeMeta(dir: string, meta: BlockMeta): Promise<number> {
  const path = join(dir, META_FILENAME);
  const tmp = path + '.tmp';
  const bytes = Buffer.from(encodeMeta(meta), 'utf8');
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(bytes);
    await f.sync();
  } catch (e) {
    await f.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await f.close();
  await rename(tmp, path);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return bytes.length;
}

/** Parses and validates meta.json text, filling Go's omitted zero values. */
export function parseMeta(text: string): BlockMeta {
  const raw: unknown = JSON.parse(text);
  if (!isObject(raw)) throw new MetaError('meta.json is not a JSON object');
  if (raw['version'] !== META_VERSION_1) throw new MetaError(`unexpected meta file version ${String(raw['version'])}`);
  const ulid = str(raw['ulid'], 'ulid');
  if (!isULID(ulid)) throw new MetaError(`invalid ulid ${JSON.stringify(ulid)}`);
  const stats = isObject(raw['stats']) ? raw['stats'] : {};
  const comp = isObject(raw['compaction']) ? raw['compaction'] : {};
  const meta: BlockMeta = {
    ulid: ulid.toUpperCase(),
    minTime: int(raw['minTime'], 'minTime'),
    maxTime: int(raw['maxTime'], 'maxTime'),
    stats: {
      numSamples: optInt(stats['numSamples'], 'stats.numSamples') ?? 0,
      numSeries: optInt(stats['numSeries'], 'stats.numSeries') ?? 0,
      numChunks: optInt(stats['numChunks'], 'stats.numChunks') ?? 0,
    },
    compaction: {
      level: optInt(comp['level'], 'compaction.level') ?? 0,
      sources: strArray(comp['sources'], 'compaction.sources') ?? [],
    },
    version: META_VERSION_1,
  };
  for (const k of ['numFloatSamples', 'numHistogramSamples', 'numTombstones'] as const) {
    const v = optInt(stats[k], `stats.${k}`);
    if (v !== undefined) meta.stats[k] = v;
  }
  if (comp['deletable'] === true) meta.compaction.deletable = true;
  if (comp['failed'] === true) meta.compaction.failed = true;
  const hints = strArray(comp['hints'], 'compaction.hints');
  if (hints !== undefined) meta.compaction.hints = hints;
  if (Array.isArray(comp['parents'])) {
    meta.compaction.parents = comp['parents'].map((p: unknown, i) => {
      if (!isObject(p)) throw new MetaError(`compaction.parents[${i}] is not an object`);
      return { ulid: str(p['ulid'], 'parent ulid'), minTime: int(p['minTime'], 'parent minTime'), maxTime: int(p['maxTime'], 'parent maxTime') };
    });
  }
  const th = raw['thanos'];
  if (isObject(th)) {
    const labels: Record<string, string> = {};
    if (isObject(th['labels'])) for (const [k, v] of Object.entries(th['labels'])) labels[k] = str(v, `thanos.labels.${k}`);
    const ds = isObject(th['downsample']) ? th['downsample'] : {};
    const t: ThanosMeta = {
      labels,
      downsample: { resolution: optInt(ds['resolution'], 'thanos.downsample.resolution') ?? 0 },
      source: typeof th['source'] === 'string' ? th['source'] : '',
    };
    const version = optInt(th['version'], 'thanos.version');
    if (version !== undefined) {
      if (version !== 1) throw new MetaError(`unexpected meta file Thanos section version ${version}`);
      t.version = version;
    }
    const seg = strArray(th['segment_files'], 'thanos.segment_files');
    if (seg !== undefined) t.segment_files = seg;
    if (Array.isArray(th['files'])) {
      t.files = th['files'].map((f: unknown, i) => {
        if (!isObject(f)) throw new MetaError(`thanos.files[${i}] is not an object`);
        const out: ThanosFile = { rel_path: str(f['rel_path'], 'thanos.files.rel_path') };
        const size = optInt(f['size_bytes'], 'thanos.files.size_bytes');
        if (size !== undefined) out.size_bytes = size;
        if (f['hash'] !== undefined && f['hash'] !== null) out.hash = f['hash'];
        return out;
      });
    }
    if (Array.isArray(th['rewrites'])) t.rewrites = th['rewrites'];
    meta.thanos = t;
  }
  return meta;
}

/**
 * meta.json text exactly as Prometheus writes it (Go's json.MarshalIndent with a tab): fields
 * in struct order, zero `omitempty` fields left out, map keys sorted, no trailing newline.
 */
export function encodeMeta(meta: BlockMeta): string {
  const s = meta.stats;
  const stats: Entries = [];
  for (const k of ['numSamples', 'numFloatSamples', 'numHistogramSamples', 'numSeries', 'numChunks', 'numTombstones'] as const) {
    const v = s[k];
    if (v !== undefined && v !== 0) stats.push([k, v]);
  }
  const c = meta.compaction;
  const comp: Entries = [['level', c.level]];
  if (c.sources.length > 0) comp.push(['sources', c.sources]);
  if (c.deletable === true) comp.push(['deletable', true]);
  if (c.parents !== undefined && c.parents.length > 0) {
    comp.push(['parents', c.parents.map((p) => new GoObject([['ulid', p.ulid], ['minTime', p.minTime], ['maxTime', p.maxTime]]))]);
  }
  if (c.failed === true) comp.push(['failed', true]);
  if (c.hints !== undefined && c.hints.length > 0) comp.push(['hints', c.hints]);
  const top: Entries = [
    ['ulid', meta.ulid],
    ['minTime', meta.minTime],
    ['maxTime', meta.maxTime],
    ['stats', new GoObject(stats)],
    ['compaction', new GoObject(comp)],
    ['version', META_VERSION_1],
  ];
  const t = meta.thanos;
  if (t !== undefined) {
    const th: Entries = [];
    if (t.version !== undefined && t.version !== 0) th.push(['version', t.version]);
    const labelKeys = Object.keys(t.labels).sort(compareStrings);
    th.push(['labels', new GoObject(labelKeys.map((k) => [k, t.labels[k]!]))]);
    th.push(['downsample', new GoObject([['resolution', t.downsample.resolution]])]);
    th.push(['source', t.source]);
    if (t.segment_files !== undefined && t.segment_files.length > 0) th.push(['segment_files', t.segment_files]);
    if (t.files !== undefined && t.files.length > 0) {
      th.push([
        'files',
        t.files.map((f) => {
          const e: Entries = [['rel_path', f.rel_path]];
          if (f.size_bytes !== undefined && f.size_bytes !== 0) e.push(['size_bytes', f.size_bytes]);
          if (f.hash !== undefined && f.hash !== null) e.push(['hash', f.hash as JSONValue]);
          return new GoObject(e);
        }),
      ]);
    }
    if (t.rewrites !== undefined && t.rewrites.length > 0) th.push(['rewrites', t.rewrites as JSONValue]);
    top.push(['thanos', new GoObject(th)]);
  }
  return marshalIndent(new GoObject(top), '');
}

// --- A minimal Go encoding/json: ordered objects, Go's string escaping and indentation. ---

type JSONValue = string | number | boolean | null | GoObject | readonly JSONValue[] | { readonly [k: string]: JSONValue };
type Entries = [string, JSONValue][];

/** An object whose keys keep their given order (JS objects put integer-like keys first). */
class GoObject {
  constructor(readonly entries: Entries) {}
}

function marshalIndent(v: JSONValue, indent: string): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new MetaError(`cannot encode ${v} in JSON`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const inner = indent + '\t';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x: JSONValue) => inner + marshalIndent(x, inner)).join(',\n')}\n${indent}]`;
  }
  // Plain objects are opaque pass-through values (Thanos structs): keep the order they were read in.
  const entries = v instanceof GoObject ? v.entries : Object.entries(v as Record<string, JSONValue>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${goQuote(k)}: ${marshalIndent(x, inner)}`).join(',\n')}\n${indent}}`;
}

/** Go's string escaping: HTML-safe (<, >, & escaped), U+2028/2029 escaped, lone surrogates replaced. */
function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i]!;
  }
  return out + '"';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new MetaError(`${what}: expected a string`);
  return v;
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new MetaError(`${what}: expected an integer`);
  return v;
}

function optInt(v: unknown, what: string): number | undefined {
  return v === undefined || v === null ? undefined : int(v, what);
}

function strArray(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new MetaError(`${what}: expected an array of strings`);
  return v as string[];
}
