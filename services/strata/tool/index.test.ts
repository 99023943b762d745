import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ToolCommand, ToolIO } from './index.ts';
import { ToolRegistry, defaultTools, runTool } from './index.ts';

function io() {
  const out = { stdout: '', stderr: '' };
  const t: ToolIO = { stdout: (s) => void (out.stdout += s), stderr: (s) => void (out.stderr += s), env: {} };
  return { out, io: t };
}

const calls: string[][] = [];
const cmd = (name: string, code = 0): ToolCommand => ({
  name,
  summary: `does ${name}`,
  run: async (args) => {
    calls.push([name, ...args]);
    return code;
  },
});

describe('strata tool', () => {
  const registry = new ToolRegistry([cmd('block create'), cmd('block dump', 3), cmd('promqltest')]);

  it('dispatches multi-word subcommands with the remaining arguments', async () => {
    calls.length = 0;
    assert.equal(await runTool(['block', 'create', '--out=/x', 'in.txt'], registry, io().io), 0);
    assert.equal(await runTool(['block', 'dump', 'dir'], registry, io().io), 3);
    assert.equal(await runTool(['promqltest', '--json'], registry, io().io), 0);
    assert.deepEqual(calls, [['block create', '--out=/x', 'in.txt'], ['block dump', 'dir'], ['promqltest', '--json']]);
  });

  it('lists the subcommands on --help', async () => {
    const { out, io: t } = io();
    assert.equal(await runTool(['--help'], registry, t), 0);
    assert.match(out.stdout, /^ {2}block create {2}does block create$/m);
    assert.match(out.stdout, /^ {2}promqltest {4}does promqltest$/m);
  });

  it('rejects an unknown subcommand with one line', async () => {
    const { out, io: t } = io();
    assert.equal(await runTool(['block', 'explode'], registry, t), 1);
    assert.equal(out.stderr, 'error: unknown tool subcommand "block explode" (see "strata tool --help")\n');
  });

  it('refuses duplicate names', () => {
    assert.throws(() => new ToolRegistry([cmd('a'), cmd('a')]), /registered twice/);
  });

  it('check-config validates and prints the effective config', async () => {
    const ok = io();
    assert.equal(await runTool(['check-config', '--blocks-storage.s3.secret-access-key=hunter2', '--storage.dir=/s'], defaultTools(), ok.io), 0);
    assert.match(ok.out.stdout, /secret_access_key: "\*{8}"/);
    assert.match(ok.out.stdout, /dir: \/s\/bucket/);
    const bad = io();
    assert.equal(await runTool(['check-config', '--querier.query-store-after=soon'], defaultTools(), bad.io), 1);
    assert.match(bad.out.stderr, /^error: invalid config: querier\.query_store_after: expected a duration[^\n]*\n$/);
  });
});
