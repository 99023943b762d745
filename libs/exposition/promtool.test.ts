// Cross-check against the real promtool: readOpenMetricsSamples must accept exactly the
// documents `promtool tsdb create-blocks-from openmetrics` accepts.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError, readOpenMetricsSamples } from './index.ts';

interface Case {
  name: string;
  doc: string | Buffer;
  valid: boolean;
  // promtool 2.x's parser predates Prometheus 3's changes; its verdict where it differs.
  promtool2?: boolean;
}

const T = '1520879607';
const cases: Case[] = [
  {
    name: 'full document with metadata, exemplar, float timestamps',
    doc: `# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n# UNIT http_requests_seconds seconds\nhttp_requests_total{code="200"} 1027 ${T}.789 # {trace_id="abc"} 1 ${T}.0\nhttp_requests_total{code="200"} 1028 1520879667.789\n# EOF\n`,
    valid: true,
  },
  { name: 'missing # EOF', doc: `a 1 ${T}\n`, valid: false },
  { name: 'sample without timestamp', doc: `a 1 ${T}\nb 2\n# EOF\n`, valid: false },
  { name: 'data after # EOF', doc: `a 1 ${T}\n# EOF\nb 1 ${T}\n`, valid: false },
  { name: 'blank line after # EOF', doc: `a 1 ${T}\n# EOF\n\n`, valid: false },
  { name: '# EOF without final line feed', doc: `a 1 ${T}\n# EOF`, valid: true },
  { name: 'only # EOF', doc: '# EOF\n', valid: true },
  { name: 'blank line', doc: `a 1 ${T}\n\nb 1 ${T}\n# EOF\n`, valid: false },
  { name: 'escapes in label values', doc: `a{b="x\\"y\\\\z\\n",c="\\t"} 1 ${T}\n# EOF\n`, valid: true },
  { name: 'raw line feed in a label value', doc: `a{b="x\ny"} 1 ${T}\n# EOF\n`, valid: false },
  { name: 'NUL byte in a label value', doc: `a{b="x\0y"} 1 ${T}\n# EOF\n`, valid: true },
  { name: 'TYPE untyped (Prometheus format only)', doc: `# TYPE a untyped\na 1 ${T}\n# EOF\n`, valid: false },
  { name: 'TYPE twice', doc: `# TYPE a counter\n# TYPE a gauge\na 1 ${T}\n# EOF\n`, valid: true },
  { name: 'UNIT not a suffix', doc: `# UNIT a_bytes seconds\na_bytes 1 ${T}\n# EOF\n`, valid: false },
  { name: 'HELP without text', doc: `# HELP a\na 1 ${T}\n# EOF\n`, valid: false },
  { name: 'invalid UTF-8 in HELP', doc: Buffer.from(`# HELP a \xff\na 1 ${T}\n# EOF\n`, 'latin1'), valid: false },
  { name: 'invalid UTF-8 in a label value', doc: Buffer.from(`a{b="\xff"} 1 ${T}\n# EOF\n`, 'latin1'), valid: false },
  { name: 'plain comment', doc: `# hello\na 1 ${T}\n# EOF\n`, valid: false },
  { name: 'NaN timestamp', doc: 'a 1 NaN\n# EOF\n', valid: false },
  { name: 'timestamp with exponent', doc: 'a 1 1.5e9\n# EOF\n', valid: true },
  { name: 'hex float value', doc: `a 0x1p-2 ${T}\n# EOF\n`, valid: false },
  { name: 'value out of range', doc: `a 1e400 ${T}\n# EOF\n`, valid: false },
  {
    name: 'NaN, ±Inf, exponent, leading dot, -0',
    doc: `a{x="1"} NaN ${T}\na{x="2"} +Inf ${T}\na{x="3"} -Inf ${T}\na{x="4"} 1e3 ${T}\na{x="5"} .5 ${T}\na{x="6"} -0 ${T}\n# EOF\n`,
    valid: true,
  },
  { name: 'trailing space', doc: `a 1 ${T} \n# EOF\n`, valid: false },
  { name: 'leading space', doc: ` a 1 ${T}\n# EOF\n`, valid: false },
  { name: 'tab separator', doc: `a\t1 ${T}\n# EOF\n`, valid: false },
  { name: 'two spaces', doc: `a  1 ${T}\n# EOF\n`, valid: false },
  { name: 'space after comma', doc: `a{b="1", c="2"} 1 ${T}\n# EOF\n`, valid: false },
  { name: 'bad label name character', doc: `a{b-c="1"} 1 ${T}\n# EOF\n`, valid: false },
  { name: 'duplicate label name', doc: `a{b="1",b="2"} 1 ${T}\n# EOF\n`, valid: false },
  { name: 'empty braces', doc: `a{} 1 ${T}\n# EOF\n`, valid: true },
  { name: 'empty label value', doc: `a{b=""} 1 ${T}\n# EOF\n`, valid: true },
  { name: 'exemplar on a _total series', doc: `a_total 1 ${T} # {x="y"} 1\n# EOF\n`, valid: true },
  // Prometheus 3 allows these; promtool 2.42 does not.
  { name: 'exemplar on a series without _total/_bucket', doc: `a 1 ${T} # {x="y"} 1\n# EOF\n`, valid: true, promtool2: false },
  { name: 'trailing comma in labels', doc: `a{b="1",} 1 ${T}\n# EOF\n`, valid: true, promtool2: false },
  { name: 'UTF-8 quoted names', doc: `{"a.b","c.d"="e"} 1 ${T}\n# EOF\n`, valid: true, promtool2: false },
];

function oursAccepts(doc: string | Buffer): boolean {
  try {
    readOpenMetricsSamples(doc, () => {});
    return true;
  } catch (e) {
    if (e instanceof ParseError) return false;
    throw e;
  }
}

const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const promtoolMajor = version.status === 0 ? Number(/version (\d+)\./.exec(version.stdout)?.[1]) : undefined;

function promtoolAccepts(dir: string, doc: string | Buffer, i: number): boolean {
  const file = join(dir, `doc${i}.om`);
  const out = join(dir, `out${i}`);
  writeFileSync(file, doc);
  const r = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, out], { encoding: 'utf8' });
  return r.status === 0;
}

describe('OpenMetrics backfill acceptance', () => {
  it('matches the expected verdicts', () => {
    for (const c of cases) assert.equal(oursAccepts(c.doc), c.valid, c.name);
  });

  it('agrees with promtool tsdb create-blocks-from openmetrics', { skip: promtoolMajor === undefined ? 'promtool not installed' : false }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-promtool-'));
    try {
      cases.forEach((c, i) => {
        const want = promtoolMajor! < 3 && c.promtool2 !== undefined ? c.promtool2 : c.valid;
        assert.equal(promtoolAccepts(dir, c.doc, i), want, `promtool on: ${c.name}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
