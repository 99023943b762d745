import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ConfigError, fieldsOf, renderConfig } from '../../libs/services/index.ts';
import { configSchema, loadStrataConfig } from './config.ts';

const load = (argv: string[], yaml?: string, env: Record<string, string> = {}) =>
  loadStrataConfig({ argv: yaml === undefined ? argv : ['--config.file', 'x.yaml', ...argv], env, readFile: () => yaml ?? '' });

describe('strata config', () => {
  it('has the defaults of the architecture', () => {
    const c = load([]);
    assert.deepEqual(c.target, ['all']);
    assert.equal(c.server.http_listen_port, 9009);
    assert.equal(c.server.grpc_listen_port, 9095);
    assert.equal(c.server.http_listen_address, '0.0.0.0');
    assert.equal(c.server.log_level, 'info');
    assert.equal(c.storage.dir, './data');
    assert.equal(c.blocks_storage.backend, 'filesystem');
    assert.equal(c.blocks_storage.filesystem.dir, './data/bucket');
    assert.equal(c.blocks_storage.tsdb.dir, './data/tsdb');
    assert.deepEqual(c.blocks_storage.tsdb.block_ranges_period, [2 * 3600_000]);
    assert.equal(c.blocks_storage.tsdb.retention_period, 13 * 3600_000);
    assert.equal(c.blocks_storage.tsdb.wal_fsync_policy, 'never');
    assert.equal(c.ingester.ring.replication_factor, 3);
    assert.equal(c.querier.query_ingesters_within, 13 * 3600_000);
    assert.equal(c.querier.query_store_after, 12 * 3600_000);
    assert.ok(Object.isFrozen(c.blocks_storage.filesystem));
  });

  it('accepts every flag that ARCHITECTURE.md section 9 promises', () => {
    const flags = new Set(fieldsOf(configSchema).map((f) => f.flag));
    for (const f of [
      'target', 'server.http-listen-port', 'server.grpc-listen-port', 'storage.dir', 'ingester.ring.replication-factor',
      'querier.query-ingesters-within', 'querier.query-store-after', 'blocks-storage.backend', 'blocks-storage.s3.endpoint',
      'blocks-storage.s3.bucket-name', 'blocks-storage.s3.secret-access-key', 'blocks-storage.filesystem.dir',
      'blocks-storage.tsdb.block-ranges-period',
    ]) assert.ok(flags.has(f), f);
    const c = load([
      '--ingester.ring.replication-factor=1', '--querier.query-ingesters-within=1h', '--querier.query-store-after=0',
      '--blocks-storage.tsdb.block-ranges-period=2h,12h,24h', '--blocks-storage.filesystem.dir=/b',
    ]);
    assert.equal(c.ingester.ring.replication_factor, 1);
    assert.equal(c.querier.query_ingesters_within, 3600_000);
    assert.equal(c.querier.query_store_after, 0);
    assert.deepEqual(c.blocks_storage.tsdb.block_ranges_period, [2, 12, 24].map((h) => h * 3600_000));
    assert.equal(c.blocks_storage.filesystem.dir, '/b');
  });

  it('puts the default bucket and TSDB directories under storage.dir', () => {
    const c = load(['--storage.dir=/tmp/strata/']);
    assert.equal(c.blocks_storage.filesystem.dir, '/tmp/strata/bucket');
    assert.equal(c.blocks_storage.tsdb.dir, '/tmp/strata/tsdb');
  });

  it('reads a YAML file with environment expansion; flags win', () => {
    const yaml = [
      'target: write,read',
      'server:',
      '  http_listen_port: ${PORT:-8080}',
      'blocks_storage:',
      '  backend: s3',
      '  s3:',
      '    bucket_name: metrics',
      '    secret_access_key: ${S3_SECRET}',
    ].join('\n');
    const c = load(['--target=ingester'], yaml, { S3_SECRET: 's3cr3t' });
    assert.deepEqual(c.target, ['ingester']);
    assert.equal(c.server.http_listen_port, 8080);
    assert.equal(c.blocks_storage.s3.secret_access_key, 's3cr3t');
    assert.equal(load([], yaml, { PORT: '7000' }).server.http_listen_port, 7000);
  });

  it('requires a bucket name for the s3 backend', () => {
    assert.throws(() => load(['--blocks-storage.backend=s3']), (err: unknown) =>
      err instanceof ConfigError &&
      err.message === 'blocks_storage.s3.bucket_name: required when backend is "s3", got ""');
  });

  it('names the key of a bad value', () => {
    assert.throws(() => load(['--ingester.ring.replication-factor=0']), /^ConfigError: ingester\.ring\.replication_factor: expected a value >= 1, got 0$/);
    assert.throws(() => load([], 'querier:\n  query_store_after: 12 hours\n'), /querier\.query_store_after: expected a duration/);
    assert.throws(() => load([], 'blocks_storage:\n  tsdb:\n    wal_fsync: always\n'), /unknown key "blocks_storage\.tsdb\.wal_fsync"/);
  });

  it('masks the S3 secret when rendered and renders loadable YAML', () => {
    const c = load(['--blocks-storage.backend=s3', '--blocks-storage.s3.bucket-name=b', '--blocks-storage.s3.secret-access-key=hunter2']);
    const text = renderConfig(configSchema, c);
    assert.ok(!text.includes('hunter2'));
    const doc = parseYaml(text) as { blocks_storage: { s3: { secret_access_key: string } } };
    assert.equal(doc.blocks_storage.s3.secret_access_key, '********');
    const back = load([], text.replace('"********"', 'hunter2').replace('********', 'hunter2'));
    assert.deepEqual(back, c);
  });
});

describe('deploy/strata.example.yaml', () => {
  it('loads, and lists exactly the defaults', () => {
    const text = readFileSync(new URL('../../deploy/strata.example.yaml', import.meta.url), 'utf8');
    const c = loadStrataConfig({ argv: ['--config.file=example.yaml'], env: {}, readFile: () => text });
    assert.deepEqual(c, load([]));
    // Every key of the schema appears in the example, so that it documents them all.
    for (const f of fieldsOf(configSchema)) assert.match(text, new RegExp(`^\\s*${f.path.at(-1)}:`, 'm'), f.flag);
  });
});
