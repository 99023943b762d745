// docker-compose.yml cannot run here (no Docker engine), so it is checked for what would break it:
// YAML that parses, services that exist where they are referenced, host ports used once, and
// every Strata command line accepted by the config loader with the mounted config file (flags,
// values, targets).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadStrataConfig, resolveTargets } from '../services/strata/index.ts';
import { REPO_ROOT } from './harness.ts';

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  depends_on?: string[];
  ports?: string[];
  volumes?: string[];
}

const compose = parseYaml(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  const services = Object.entries(compose.services);
  const strata = services.filter(([, s]) => s.image === 'strata:latest');

  it('runs NATS, MinIO, Redis, three ingesters, two distributors, a querier, two store-gateways and a compactor', () => {
    for (const s of ['nats', 'minio', 'minio-init', 'redis']) assert.ok(compose.services[s], s);
    const targets = strata.map(([, s]) => s.command?.find((a) => a.startsWith('--target='))!.slice('--target='.length)).sort();
    assert.deepEqual(targets, ['compactor', 'distributor', 'distributor', 'ingester', 'ingester', 'ingester', 'querier', 'store-gateway', 'store-gateway']);
  });

  it('gives every Strata service a command line the config loader accepts: rings in NATS, blocks in MinIO, caches in Redis', () => {
    // The file the services mount at /etc/strata.
    const readFile = (p: string): string => readFileSync(p.replace(/^\/etc\/strata\//, join(REPO_ROOT, 'deploy', 'compose') + '/'), 'utf8');
    for (const [name, s] of strata) {
      assert.equal(s.build, '.', name);
      assert.ok(s.volumes?.includes('./deploy/compose:/etc/strata:ro'), `${name} mounts the shared config`);
      const config = loadStrataConfig({ argv: s.command ?? [], env: {}, readFile });
      assert.doesNotThrow(() => resolveTargets(config.target), name);
      for (const kv of [config.ingester.ring.kvstore, config.store_gateway.sharding_ring.kvstore, config.compactor.sharding_ring.kvstore]) {
        assert.deepEqual([kv.store, kv.nats.url], ['nats', 'nats://nats:4222'], name);
      }
      assert.equal(config.ingester.ring.replication_factor, 3, name);
      assert.deepEqual([config.blocks_storage.backend, config.blocks_storage.s3.endpoint, config.blocks_storage.s3.bucket_name], ['s3', 'minio:9000', 'strata']);
      assert.equal(config.blocks_storage.bucket_store.chunks_cache.redis.endpoint, 'redis:6379');
      if (config.target.includes('ingester')) {
        assert.equal(config.ingester.ring.instance_id, name, `${name} has its own ring id`);
        assert.equal(config.ingester.ring.instance_addr, name, `${name} advertises its service name`);
        assert.equal(config.storage.dir, '/data');
      }
      if (config.target.includes('store-gateway')) {
        assert.equal(config.store_gateway.sharding_ring.instance_id, name);
        assert.equal(config.store_gateway.sharding_ring.instance_addr, name);
      }
    }
  });

  it('uses MinIO\'s credentials in the shared config', () => {
    const minio = compose.services.minio as ComposeService & { environment?: Record<string, string> };
    const config = loadStrataConfig({ argv: ['--config.file=deploy/compose/strata.yaml'], env: {}, readFile: (p) => readFileSync(join(REPO_ROOT, p), 'utf8') });
    assert.equal(config.blocks_storage.s3.access_key_id, minio.environment?.MINIO_ROOT_USER);
    assert.equal(config.blocks_storage.s3.secret_access_key, minio.environment?.MINIO_ROOT_PASSWORD);
  });

  it('references only defined services and volumes, and maps each host port once', () => {
    const hostPorts: string[] = [];
    for (const [name, s] of services) {
      for (const d of s.depends_on ?? []) assert.ok(compose.services[d], `${name} depends on unknown ${d}`);
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (!src.startsWith('.') && !src.startsWith('/')) assert.ok(compose.volumes && src in compose.volumes, `${name} uses undeclared volume ${src}`);
      }
      for (const p of s.ports ?? []) hostPorts.push(p.split(':')[0]!);
    }
    assert.equal(new Set(hostPorts).size, hostPorts.length, `host ports ${hostPorts.join(', ')}`);
  });
});
