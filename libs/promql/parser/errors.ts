// Parse errors as Prometheus reports them (parser.ParseErr / ParseErrors): each with a position
// range in the query, printed as `<line>:<col>: parse error: <err>`; a list prints its first error.

import type { PositionRange } from './ast.ts';

export interface ParseError {
  positionRange: PositionRange;
  err: string;
  query: string;
  /** `<line>:<col>` of the error's start, as Prometheus prints it (col counts UTF-8 bytes). */
  lineInfo: string;
}

/** Line starts of the last query seen, so that many errors in one query stay cheap. */
let cachedQuery: string | undefined;
let cachedLineStarts: number[] = [];
let cachedAscii = true;

/** Prometheus' PositionRange.StartPosInput: 1-based line, and byte column from the line start. */
export function startPosInput(query: string, start: number, lineOffset = 0): string {
  if (query === '') return 'unknown position';
  if (start < 0 || start > query.length) return 'invalid position';
  if (query !== cachedQuery) {
    cachedQuery = query;
    cachedLineStarts = [0];
    for (let i = query.indexOf('\n'); i !== -1; i = query.indexOf('\n', i + 1)) cachedLineStarts.push(i + 1);
    cachedAscii = !/[^\x00-\x7f]/.test(query);
  }
  // The last line start at or before `start` (a newline at `start` itself belongs to that line).
  let lo = 0;
  let hi = cachedLineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cachedLineStarts[mid]! <= start) lo = mid;
    else hi = mid - 1;
  }
  const lineStart = cachedLineStarts[lo]!;
  // Go counts bytes: the column is the UTF-8 length of the line up to the position, plus one.
  const col = (cachedAscii ? start - lineStart : Buffer.byteLength(query.slice(lineStart, start), 'utf8')) + 1;
  return `${lineOffset + lo + 1}:${col}`;
}

export function newParseError(query: string, positionRange: PositionRange, err: string): ParseError {
  return { positionRange, err, query, lineInfo: startPosInput(query, positionRange.start) };
}

export function formatParseError(e: ParseError): string {
  return `${e.lineInfo}: parse error: ${e.err}`;
}

/** Thrown by parseExpr and friends; the message is the first error's, like Prometheus. */
export class ParseErrors extends Error {
  /** Bad input from the user: Prometheus answers `bad_data` (HTTP 400). */
  readonly category = 'bad_data';
  readonly code = 'parse_error';
  readonly errors: ParseError[];

  constructor(errors: ParseError[]) {
    super(errors.length > 0 ? formatParseError(errors[0]!) : 'error contains no error message');
    this.name = 'ParseErrors';
    this.errors = errors;
  }

  /** Position range of the first error. */
  get positionRange(): PositionRange {
    return this.errors[0]?.positionRange ?? { start: 0, end: 0 };
  }

  get query(): string {
    return this.errors[0]?.query ?? '';
  }
}
