// docker-compose.yml cannot run here (no Docker engine), so it is checked for what would break it:
// YAML that parses, services that exist where they are referenced, host ports used once, and
// every Strata command line accepted by the config loader (flags, values, targets).
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

  it('runs NATS, three ingesters, two distributors and a querier', () => {
    assert.ok(compose.services.nats);
    const targets = strata.map(([, s]) => s.command?.find((a) => a.startsWith('--target='))).sort();
    assert.deepEqual(targets, ['--target=distributor', '--target=distributor', '--target=ingester', '--target=ingester', '--target=ingester', '--target=querier']);
  });

  it('gives every Strata service a command line the config loader accepts, with one ring in NATS', () => {
    for (const [name, s] of strata) {
      assert.equal(s.build, '.', name);
      const config = loadStrataConfig({ argv: s.command ?? [], env: {} });
      assert.doesNotThrow(() => resolveTargets(config.target), name);
      assert.equal(config.ingester.ring.kvstore.store, 'nats', name);
      assert.equal(config.ingester.ring.kvstore.nats.url, 'nats://nats:4222', name);
      assert.equal(config.ingester.ring.replication_factor, 3, name);
      if (config.target.includes('ingester')) {
        assert.equal(config.ingester.ring.instance_id, name, `${name} has its own ring id`);
        assert.equal(config.ingester.ring.instance_addr, name, `${name} advertises its service name`);
        assert.equal(config.storage.dir, '/data');
      }
    }
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
