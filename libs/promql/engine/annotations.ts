// Warnings and infos a query returns alongside its result (util/annotations in Prometheus).
// Messages are Prometheus' exactly, prefixed "PromQL warning: " / "PromQL info: ", and end
// with the position of the expression they are about, e.g. " (1:5)", when rendered for the API.

import type { PositionRange } from '../parser/ast.ts';

export type AnnotationLevel = 'warning' | 'info';

export interface Annotation {
  level: AnnotationLevel;
  /** Message without prefix and position, e.g. `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"`. */
  message: string;
  /** Position of the expression the annotation is about, in the query text. */
  pos?: PositionRange;
}

export class Annotations {
  private readonly byKey = new Map<string, Annotation>();

  /**
   * Adds an annotation. Like Prometheus (a map keyed by the rendered message), an annotation with
   * the same level and message replaces the earlier one's position rather than adding a second.
   */
  add(level: AnnotationLevel, message: string, pos?: PositionRange): void {
    const key = `${level}\u0000${message}`;
    const prev = this.byKey.get(key);
    if (!prev) {
      this.byKey.set(key, { level, message, ...(pos ? { pos } : {}) });
      return;
    }
    if (pos) prev.pos = pos;
    else delete prev.pos;
  }

  warn(message: string, pos?: PositionRange): void {
    this.add('warning', message, pos);
  }

  info(message: string, pos?: PositionRange): void {
    this.add('info', message, pos);
  }

  merge(other: Annotations): void {
    for (const a of other.all()) this.add(a.level, a.message, a.pos);
  }

  all(): Annotation[] {
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }
}

/**
 * Renders an annotation as the API returns it: "PromQL warning: <msg> (line:col)" where line and
 * col are 1-based and col counts characters from the start of that line (Prometheus' posrange).
 */
export function renderAnnotation(a: Annotation, query: string): string {
  const prefix = a.level === 'warning' ? 'PromQL warning: ' : 'PromQL info: ';
  if (!a.pos) return prefix + a.message;
  return `${prefix}${a.message} (${positionOf(query, a.pos.start)})`;
}

/** "line:col" (1-based) of a character offset in the query. */
export function positionOf(query: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < query.length; i++) {
    if (query[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return `${line}:${offset - lineStart + 1}`;
}
