// Test helpers: run a parser over a whole document and flatten what it returns.

import { EntryType, ExpositionParser, ParseError } from './parser.ts';
import type { ExpositionFormat, ParserOptions } from './parser.ts';

export type Parsed =
  | { kind: 'series'; line: number; labels: Record<string, string>; value: number; t?: number; ex?: { labels: Record<string, string>; value: number; t?: number } }
  | { kind: 'help'; line: number; name: string; help: string }
  | { kind: 'type'; line: number; name: string; type: string }
  | { kind: 'unit'; line: number; name: string; unit: string }
  | { kind: 'comment'; line: number; text: string }
  | { kind: 'eof'; line: number };

export function parseAll(input: string | Uint8Array, format: ExpositionFormat, options?: ParserOptions): Parsed[] {
  const p = new ExpositionParser(input, format, options);
  const out: Parsed[] = [];
  for (let e = p.next(); e !== undefined; e = p.next()) {
    const line = p.lineNumber();
    switch (e) {
      case EntryType.Series: {
        const s: Parsed = { kind: 'series', line, labels: p.labels().toRecord(), value: p.value() };
        const t = p.timestamp();
        if (t !== undefined) s.t = t;
        const ex = p.exemplar();
        if (ex !== undefined) s.ex = ex.timestamp === undefined ? { labels: ex.labels.toRecord(), value: ex.value } : { labels: ex.labels.toRecord(), value: ex.value, t: ex.timestamp };
        out.push(s);
        break;
      }
      case EntryType.Help:
        out.push({ kind: 'help', line, name: p.metricFamily(), help: p.help() });
        break;
      case EntryType.Type:
        out.push({ kind: 'type', line, name: p.metricFamily(), type: p.typeValue() });
        break;
      case EntryType.Unit:
        out.push({ kind: 'unit', line, name: p.metricFamily(), unit: p.unit() });
        break;
      case EntryType.Comment:
        out.push({ kind: 'comment', line, text: p.comment() });
        break;
      case EntryType.EOF:
        out.push({ kind: 'eof', line });
        break;
    }
  }
  return out;
}

/** The ParseError a document raises (labels() included), or undefined when it parses. */
export function parseErrorOf(input: string | Uint8Array, format: ExpositionFormat, options?: ParserOptions): ParseError | undefined {
  try {
    parseAll(input, format, options);
    return undefined;
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
}
