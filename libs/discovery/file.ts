// `file_sd_configs` (Prometheus' file discovery): target groups from JSON or YAML files matching
// the configured patterns (`*` in the last path element), re-read when a file changes and every
// `refresh_interval`; each target gets `__meta_filepath`. A file that cannot be read or parsed
// keeps its last good groups (as Prometheus does) and is reported through `onError`.
import { readFileSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { targetGroupsOf, type Discoverer, type TargetGroup } from './discovery.ts';

export interface FileDiscovererOptions {
  readonly files: readonly string[];
  readonly refreshInterval: number;
  readonly onError?: (file: string, err: Error) => void;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
}

/** The files a pattern matches now, sorted. */
function expand(pattern: string): string[] {
  if (!/[*?]/.test(basename(pattern))) return [pattern];
  const dir = dirname(pattern);
  const re = globToRegExp(basename(pattern));
  try {
    return readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** Parses one file's groups; throws with the reason for malformed content. */
export function parseTargetGroups(text: string, file: string): TargetGroup[] {
  const doc: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (doc === null || doc === undefined) return [];
  return targetGroupsOf(doc, file, { __meta_filepath: file });
}

export class FileDiscoverer implements Discoverer {
  private readonly last = new Map<string, { mtime: number; groups: TargetGroup[] }>();

  constructor(private readonly opts: FileDiscovererOptions) {}

  /** Reads every matching file (unchanged ones from the last read); the groups of all of them. */
  private refresh(): TargetGroup[] {
    const seen = new Set<string>();
    for (const p of this.opts.files) {
      for (const file of expand(p)) {
        seen.add(file);
        let mtime: number;
        try {
          mtime = statSync(file).mtimeMs;
        } catch (err) {
          this.last.delete(file);
          this.opts.onError?.(file, err as Error);
          continue;
        }
        if (this.last.get(file)?.mtime === mtime) continue;
        try {
          this.last.set(file, { mtime, groups: parseTargetGroups(readFileSync(file, 'utf8'), file) });
        } catch (err) {
          this.opts.onError?.(file, err as Error);
        }
      }
    }
    for (const f of [...this.last.keys()]) if (!seen.has(f)) this.last.delete(f);
    return [...this.last.values()].flatMap((v) => v.groups);
  }

  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    let wake: (() => void) | undefined;
    const poke = (): void => wake?.();
    const watchers: FSWatcher[] = [];
    for (const dir of new Set(this.opts.files.map((p) => dirname(p)))) {
      try {
        watchers.push(watch(dir, poke));
      } catch {
        // A missing directory is found by the periodic refresh once it exists.
      }
    }
    const timer = setInterval(poke, this.opts.refreshInterval);
    signal.addEventListener('abort', poke, { once: true });
    try {
      let prev = '';
      while (!signal.aborted) {
        const groups = this.refresh();
        const key = JSON.stringify(groups);
        if (key !== prev) {
          prev = key;
          yield groups;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        // Editors write in several steps: read once they are done.
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      clearInterval(timer);
      for (const w of watchers) w.close();
    }
  }
}
