// Process-level tests of the strata executable: start, serve, stop on SIGTERM, and refuse bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT, get, runStrata, startStrata } from './harness.ts';

const tmp = mkdtempSync(join(tmpdir(), 'strata-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('strata process', () => {
  it('serves /ready, /metrics and /config, then stops cleanly on SIGTERM', async () => {
    const cfg = join(tmp, 'strata.yaml');
    writeFileSync(cfg, 'blocks_storage:\n  s3:\n    secret_access_key: ${TEST_S3_SECRET}\n    region: ${TEST_REGION:-eu-west-1}\n');
    const p = await startStrata([`--config.file=${cfg}`], { env: { TEST_S3_SECRET: 'hunter2' } });
    try {
      const ready = await get(`${p.url}/ready`);
      assert.equal(ready.status, 200);
      assert.equal(await ready.text(), 'ready\n');

      const metrics = await (await get(`${p.url}/metrics`)).text();
      assert.match(metrics, /^process_cpu_seconds_total /m);
      assert.match(metrics, /^strata_build_info\{[^}]*version="[^"]+"[^}]*\} 1$/m);

      const res = await get(`${p.url}/config`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(!text.includes('hunter2'), 'secret is masked');
      const doc = parseYaml(text) as { storage: { dir: string }; blocks_storage: { s3: { secret_access_key: string; region: string } } };
      assert.equal(doc.blocks_storage.s3.secret_access_key, '********');
      assert.equal(doc.blocks_storage.s3.region, 'eu-west-1');
      assert.equal(doc.storage.dir, p.dir);

      const lines = p.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const l of lines) for (const k of ['level', 'time', 'msg', 'component']) assert.ok(k in l, `log line has ${k}: ${JSON.stringify(l)}`);

      p.child.kill('SIGTERM');
      const exit = await p.exited();
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.match(p.stdout(), /"msg":"stopped"/);
      assert.equal(p.stderr(), '');
    } finally {
      await p.cleanup();
    }
  });

  it('stops on SIGINT too', async () => {
    const p = await startStrata();
    try {
      p.child.kill('SIGINT');
      assert.deepEqual(await p.exited(), { code: 0, signal: null });
    } finally {
      await p.cleanup();
    }
  });

  it('exits 1 with one line naming the key for an invalid config', async () => {
    const cfg = join(tmp, 'bad.yaml');
    writeFileSync(cfg, 'server:\n  http_listen_port: abc\n');
    const bad = await runStrata([`--config.file=${cfg}`, `--storage.dir=${tmp}`]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: invalid config: server.http_listen_port: expected an integer between 0 and 65535, got "abc"\n');
    assert.equal(bad.stdout, '');

    const unknownKey = await runStrata([`--storage.dir=${tmp}`, '--config.file', writeTmp('unknown.yaml', 'server:\n  foo: 1\n')]);
    assert.equal(unknownKey.code, 1);
    assert.equal(unknownKey.stderr, 'error: invalid config: unknown key "server.foo"\n');

    const unknownFlag = await runStrata(['--server.foo=1']);
    assert.equal(unknownFlag.code, 1);
    assert.equal(unknownFlag.stderr, 'error: invalid config: unknown flag "--server.foo"\n');
  });

  it('refuses unavailable and unknown targets with one line', async () => {
    const ruler = await runStrata(['--target=ruler', `--storage.dir=${tmp}`]);
    assert.equal(ruler.code, 1);
    assert.equal(ruler.stderr, 'error: target "ruler" is not available yet in this version\n');
    const bogus = await runStrata(['--target=bogus', `--storage.dir=${tmp}`]);
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /^error: unknown target "bogus" \(valid targets: all, [^\n]*\)\n$/);
  });

  it('exits 1 with one line when a module fails to start (port in use)', async () => {
    const p = await startStrata();
    try {
      const clash = await runStrata(['--server.http-listen-address=127.0.0.1', `--server.http-listen-port=${p.httpPort}`, `--storage.dir=${tmp}`]);
      assert.equal(clash.code, 1);
      assert.match(clash.stderr, /^error: module "server" failed to start: [^\n]*EADDRINUSE[^\n]*\n$/);
    } finally {
      await p.cleanup();
    }
  });

  it('prints --version from package.json, --help with flags, and dispatches tool', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const v = await runStrata(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, new RegExp(`^strata, version ${pkg.version.replaceAll('.', '\\.')} `));
    const h = await runStrata(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--server\.http-listen-port int/);
    assert.match(h.stdout, /--blocks-storage\.tsdb\.block-ranges-period durations/);
    const t = await runStrata(['tool', '--help']);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /check-config/);
    const u = await runStrata(['tool', 'frobnicate']);
    assert.equal(u.code, 1);
    assert.equal(u.stderr, 'error: unknown tool subcommand "frobnicate" (see "strata tool --help")\n');
  });
});

function writeTmp(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}
