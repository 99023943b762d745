// `strata tool block create|dump|analyze`: the block tools a user needs for backfill and inspection.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import type { ToolCommand, ToolIO } from './types.ts';

const MIN_INT64_MS = -9223372036854775808;
const MAX_INT64_MS = 9223372036854775807;

/** Parses options; on bad usage prints one error line and returns undefined. */
function parse(
  args: readonly string[],
  options: ParseArgsOptionsConfig,
  io: ToolIO,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } | undefined {
  try {
    const r = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\nusage: ${usage}\n`);
    return undefined;
  }
}

function fail(io: ToolIO, e: unknown): number {
  io.stderr(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

const CREATE_USAGE = 'strata tool block create --from-openmetrics FILE --out DIR [--block-duration 2h]';

export const blockCreate: ToolCommand = {
  name: 'block create',
  summary: 'Backfill: write blocks from an OpenMetrics file (like promtool tsdb create-blocks-from openmetrics).',
  run: async (args, io) => {
    const p = parse(args, { 'from-openmetrics': { type: 'string' }, out: { type: 'string' }, 'block-duration': { type: 'string' } }, io, CREATE_USAGE);
    if (!p) return 1;
    const file = p.values['from-openmetrics'] as string | undefined;
    const out = p.values['out'] as string | undefined;
    if (!file || !out) {
      io.stderr(`error: --from-openmetrics and --out are required\nusage: ${CREATE_USAGE}\n`);
      return 1;
    }
    const { parseDuration, formatDuration } = await import('../../../libs/services/index.ts');
    const durText = (p.values['block-duration'] as string | undefined) ?? '2h';
    const dur = parseDuration(durText);
    if (dur === undefined || dur <= 0 || dur % 3_600_000 !== 0) {
      io.stderr(`error: invalid --block-duration "${durText}": must be a positive whole number of hours\n`);
      return 1;
    }
    try {
      const { createBlocksFromOpenMetrics } = await import('./block/create.ts');
      const metas = await createBlocksFromOpenMetrics(file, out, dur);
      io.stdout('BLOCK ULID                  MIN TIME       MAX TIME       DURATION     NUM SAMPLES  NUM CHUNKS   NUM SERIES\n');
      for (const m of metas) {
        io.stdout(
          `${m.ulid}  ${m.minTime}  ${m.maxTime}  ${formatDuration(m.maxTime - m.minTime).padEnd(11)}  ${String(m.stats.numSamples).padEnd(11)}  ${String(m.stats.numChunks).padEnd(11)}  ${m.stats.numSeries}\n`,
        );
      }
      return 0;
    } catch (e) {
      return fail(io, e);
    }
  },
};

const DUMP_USAGE = 'strata tool block dump DIR [--match SELECTOR] [--min-time T] [--max-time T]';

export const blockDump: ToolCommand = {
  name: 'block dump',
  summary: 'Print every sample of a block (or a directory of blocks) as promtool tsdb dump does.',
  run: async (args, io) => {
    const p = parse(args, { match: { type: 'string' }, 'min-time': { type: 'string' }, 'max-time': { type: 'string' } }, io, DUMP_USAGE);
    if (!p) return 1;
    if (p.positionals.length !== 1) {
      io.stderr(`error: expected exactly one DIR\nusage: ${DUMP_USAGE}\n`);
      return 1;
    }
    const time = (flag: string, dflt: number): number | undefined => {
      const v = p.values[flag] as string | undefined;
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n)) {
        io.stderr(`error: invalid --${flag} "${v}": expected milliseconds since the epoch\n`);
        return undefined;
      }
      return n;
    };
    const mint = time('min-time', MIN_INT64_MS);
    const maxt = time('max-time', MAX_INT64_MS);
    if (mint === undefined || maxt === undefined) return 1;
    try {
      const { parseSeriesSelector } = await import('../../../libs/model/index.ts');
      const matchers = parseSeriesSelector((p.values['match'] as string | undefined) ?? '{__name__=~"(?s:.*)"}');
      const { openBlocks, dumpBlocks } = await import('./block/dump.ts');
      const blocks = await openBlocks(p.positionals[0]!);
      try {
        await dumpBlocks(blocks, matchers, mint, maxt, (s) => io.stdout(s));
      } finally {
        for (const b of blocks) b.close();
      }
      return 0;
    } catch (e) {
      return fail(io, e);
    }
  },
};

const ANALYZE_USAGE = 'strata tool block analyze DIR';

export const blockAnalyze: ToolCommand = {
  name: 'block analyze',
  summary: 'Series, samples, chunks, label cardinality and bytes per sample of a block.',
  run: async (args, io) => {
    const p = parse(args, {}, io, ANALYZE_USAGE);
    if (!p) return 1;
    if (p.positionals.length !== 1) {
      io.stderr(`error: expected exactly one DIR\nusage: ${ANALYZE_USAGE}\n`);
      return 1;
    }
    try {
      const { openBlocks } = await import('./block/dump.ts');
      const { analyzeBlock, formatAnalysis } = await import('./block/analyze.ts');
      const blocks = await openBlocks(p.positionals[0]!);
      try {
        for (const b of blocks) io.stdout(formatAnalysis(await analyzeBlock(b)) + '\n');
      } finally {
        for (const b of blocks) b.close();
      }
      return 0;
    } catch (e) {
      return fail(io, e);
    }
  },
};
