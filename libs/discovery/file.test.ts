import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TargetGroup } from './discovery.ts';
import { StaticDiscoverer } from './discovery.ts';
import { FileDiscoverer, parseTargetGroups } from './file.ts';

/** Collects updates until `until` says stop (bounded by a timeout). */
async function updates(d: { run(s: AbortSignal): AsyncIterable<readonly TargetGroup[]> }, steps: ((n: number, g: readonly TargetGroup[]) => boolean)): Promise<(readonly TargetGroup[])[]> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 10_000);
  const out: (readonly TargetGroup[])[] = [];
  try {
    for await (const g of d.run(ctl.signal)) {
      out.push(g);
      if (steps(out.length, g)) break;
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return out;
}

const addresses = (gs: readonly TargetGroup[]): string[] => gs.flatMap((g) => g.targets.map((t) => t.__address__!)).sort();

describe('file_sd', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strata-filesd-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses JSON and YAML target groups with __meta_filepath, and refuses malformed ones', () => {
    const f = join(dir, 'a.json');
    assert.deepEqual(parseTargetGroups('[{"targets":["h:1","h:2"],"labels":{"env":"prod"}}]', f), [
      { source: `${f}:0`, targets: [{ __address__: 'h:1' }, { __address__: 'h:2' }], labels: { __meta_filepath: f, env: 'prod' } },
    ]);
    assert.deepEqual(addresses(parseTargetGroups('- targets: [x:9]\n', join(dir, 'b.yml'))), ['x:9']);
    assert.throws(() => parseTargetGroups('{"targets":[]}', f), /expected a list of target groups/);
    assert.throws(() => parseTargetGroups('[{"targets":[1]}]', f), /"targets" must be a list of strings/);
  });

  it('follows the matching files as they are written, replaced and removed; a broken file keeps its last groups', async () => {
    writeFileSync(join(dir, 'a.json'), '[{"targets":["a:1"]}]');
    writeFileSync(join(dir, 'ignored.txt'), 'not a target file');
    const errors: string[] = [];
    const d = new FileDiscoverer({ files: [join(dir, '*.json')], refreshInterval: 100, onError: (file) => errors.push(file) });
    const seen = await updates(d, (n) => {
      if (n === 1) writeFileSync(join(dir, 'b.json'), '[{"targets":["b:1","b:2"]}]');
      if (n === 2) {
        writeFileSync(join(dir, 'a.json.tmp'), '[{"targets":["a:2"]}]');
        renameSync(join(dir, 'a.json.tmp'), join(dir, 'a.json'));
      }
      if (n === 3) {
        writeFileSync(join(dir, 'b.json'), '[{"targets":');
        rmSync(join(dir, 'a.json'));
      }
      return n === 4;
    });
    assert.deepEqual(addresses(seen[0]!), ['a:1']);
    assert.deepEqual(addresses(seen[1]!), ['a:1', 'b:1', 'b:2']);
    assert.deepEqual(addresses(seen[2]!), ['a:2', 'b:1', 'b:2']);
    assert.deepEqual(addresses(seen.at(-1)!), ['b:1', 'b:2'], 'a.json removed; the broken b.json keeps its last good groups');
    assert.ok(errors.includes(join(dir, 'b.json')), 'the broken file was reported');
  });
});

describe('static_configs', () => {
  it('yields the configured groups once', async () => {
    const d = new StaticDiscoverer([{ targets: ['a:1'], labels: { env: 'x' } }, { targets: ['b:1', 'c:1'], labels: {} }]);
    const seen = await updates(d, () => false);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.map((g) => [g.source, g.targets.map((t) => t.__address__), g.labels]), [['0', ['a:1'], { env: 'x' }], ['1', ['b:1', 'c:1'], {}]]);
  });
});
