// Renders run reports: a human summary (failures with file:line, query and diff; skips with their
// reason) and the JSON contract {"files":{name:{passed,failed,skipped}},"passed","failed","skipped"}.

import type { CaseResult, RunReport } from './runner.ts';

export interface CaseCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface JSONReport extends CaseCounts {
  files: Record<string, CaseCounts>;
}

/** The machine-readable report: exactly these keys, files keyed by their base name. */
export function toJSONReport(r: RunReport): JSONReport {
  const files: Record<string, CaseCounts> = {};
  for (const f of r.files) files[baseName(f.name)] = { passed: f.passed, failed: f.failed, skipped: f.skipped };
  return { files, passed: r.passed, failed: r.failed, skipped: r.skipped };
}

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

function counts(c: CaseCounts): string {
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
}

function caseLine(file: string, c: CaseResult): string {
  return `${file}:${c.line}: ${c.expr}`;
}

/** The human report: per file its counts, then each failure and skip. */
export function formatReport(r: RunReport): string {
  const out: string[] = [];
  for (const f of r.files) {
    const name = baseName(f.name);
    out.push(`${name}: ${counts(f)}`);
    for (const c of f.cases) {
      if (c.status === 'failed') {
        out.push(`  FAIL ${caseLine(name, c)}`);
        if (c.message) out.push(indent(c.message, '      '));
        if (c.diff && c.diff.length > 0) {
          out.push('      diff (- expected, + got):');
          for (const d of c.diff) out.push(`        ${d}`);
        }
      }
    }
    for (const c of f.cases) if (c.status === 'skipped') out.push(`  SKIP ${caseLine(name, c)} (${c.reason})`);
  }
  out.push(`total: ${counts(r)}`);
  return out.join('\n') + '\n';
}
