// The head's inverted index: label name → value → sorted series refs. Refs are assigned in
// increasing order, so appending keeps every list sorted without a sort.

import { compareStrings } from '../../model/index.ts';
import { mergePostings } from '../index/index.ts';

class RefList {
  arr = new Uint32Array(4);
  len = 0;

  push(ref: number): void {
    if (this.len === this.arr.length) {
      const grown = new Uint32Array(this.arr.length * 2);
      grown.set(this.arr);
      this.arr = grown;
    }
    this.arr[this.len++] = ref;
  }

  /** A view valid until the list is rebuilt; callers must not mutate it. */
  view(): Uint32Array {
    return this.arr.subarray(0, this.len);
  }
}

export class MemPostings {
  private readonly byName = new Map<string, Map<string, RefList>>();
  private readonly all = new RefList();
  // Sorted value lists per name, rebuilt lazily after a new value appears.
  private readonly sortedValues = new Map<string, string[]>();

  /** Adds a series; refs must be added in increasing order. */
  add(ref: number, flatLabels: readonly string[]): void {
    this.all.push(ref);
    for (let i = 0; i < flatLabels.length; i += 2) {
      const name = flatLabels[i]!;
      let values = this.byName.get(name);
      if (values === undefined) {
        values = new Map();
        this.byName.set(name, values);
      }
      let list = values.get(flatLabels[i + 1]!);
      if (list === undefined) {
        list = new RefList();
        values.set(flatLabels[i + 1]!, list);
        this.sortedValues.delete(name);
      }
      list.push(ref);
    }
  }

  labelNames(): string[] {
    return [...this.byName.keys()].sort(compareStrings);
  }

  labelValues(name: string): string[] {
    let sorted = this.sortedValues.get(name);
    if (sorted === undefined) {
      const values = this.byName.get(name);
      sorted = values === undefined ? [] : [...values.keys()].sort(compareStrings);
      this.sortedValues.set(name, sorted);
    }
    return sorted;
  }

  postings(name: string, values: readonly string[]): Uint32Array {
    const byValue = this.byName.get(name);
    if (byValue === undefined) return EMPTY;
    if (values.length === 1) return byValue.get(values[0]!)?.view() ?? EMPTY;
    const lists: Uint32Array[] = [];
    for (const v of values) {
      const l = byValue.get(v);
      if (l !== undefined) lists.push(l.view());
    }
    return lists.length === 0 ? EMPTY : mergePostings(lists);
  }

  allPostings(): Uint32Array {
    return this.all.view();
  }

  /** A fresh index of the given series (after series GC removed some). */
  static rebuild(series: Iterable<{ ref: number; labels: { toFlat(): readonly string[] } }>): MemPostings {
    const sorted = [...series].sort((a, b) => a.ref - b.ref);
    const p = new MemPostings();
    for (const s of sorted) p.add(s.ref, s.labels.toFlat());
    return p;
  }
}

const EMPTY = new Uint32Array(0);
