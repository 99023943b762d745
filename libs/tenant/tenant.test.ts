import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { validateConfig } from '../services/index.ts';
import {
  Overrides, RateLimiter, RuntimeConfigLoader, TenantError, limitsConfigSchema, parseRuntimeConfig,
  singleTenantFromOrgId, tenantIdsFromOrgId, tenantOfRequest, validateTenantId,
} from './index.ts';

const defaults = validateConfig(limitsConfigSchema, {});

function errorOf(f: () => unknown): TenantError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof TenantError, String(err));
    return err;
  }
  assert.fail('expected a TenantError');
}

describe('tenant ids', () => {
  it('accepts every allowed character and 150 characters', () => {
    validateTenantId("ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz_0987654321!.*'()");
    validateTenantId('a'.repeat(150));
  });

  it("rejects ids that could escape a path, with dskit's messages", () => {
    const cases: [string, string, number][] = [
      ['a'.repeat(151), 'tenant ID is too long: max 150 characters', 400],
      ['.', "tenant ID is '.' or '..'", 400],
      ['..', "tenant ID is '.' or '..'", 400],
      ['../x', "tenant ID '../x' contains unsupported character '/'", 400],
      ['a b', "tenant ID 'a b' contains unsupported character ' '", 400],
      ['tenänt', "tenant ID 'tenänt' contains unsupported character 'ä'", 400],
    ];
    for (const [id, msg, status] of cases) {
      const err = errorOf(() => validateTenantId(id));
      assert.equal(err.message, msg);
      assert.equal(err.status, status);
    }
  });

  it('never accepts an id with a character outside the allowed set (property)', () => {
    const allowed = /^[A-Za-z0-9!._*'()-]*$/;
    fc.assert(
      fc.property(fc.string({ maxLength: 160, unit: 'binary' }), (id) => {
        let ok = true;
        try {
          validateTenantId(id);
        } catch {
          ok = false;
        }
        assert.equal(ok, allowed.test(id) && id.length <= 150 && id !== '.' && id !== '..');
      }),
    );
  });

  it('reads federated ids sorted and deduplicated; missing is 401 "no org id"', () => {
    assert.deepEqual(tenantIdsFromOrgId('b|a|b'), ['a', 'b']);
    assert.equal(errorOf(() => tenantIdsFromOrgId(undefined)).status, 401);
    assert.equal(errorOf(() => tenantIdsFromOrgId('')).message, 'no org id');
    assert.equal(errorOf(() => tenantIdsFromOrgId('a||b')).message, 'no org id');
    assert.equal(singleTenantFromOrgId('team-1'), 'team-1');
    assert.equal(errorOf(() => singleTenantFromOrgId('a|b')).message, 'multiple org IDs present');
  });

  it('resolves a request\'s tenant: anonymous with multi-tenancy off, else exactly one id', () => {
    assert.equal(tenantOfRequest('../x', false), 'anonymous');
    assert.equal(tenantOfRequest(undefined, false), 'anonymous');
    assert.equal(tenantOfRequest('team', true), 'team');
    assert.equal(tenantOfRequest(['team', 'team'], true), 'team', 'a repeated header naming one tenant');
    assert.equal(errorOf(() => tenantOfRequest(['a', 'b'], true)).message, 'multiple org IDs present');
    assert.equal(errorOf(() => tenantOfRequest(undefined, true)).status, 401);
  });
});

describe('overrides', () => {
  it("gives each tenant the defaults with its own overrides, and names a bad key", () => {
    const o = new Overrides(defaults);
    o.setTenantLimits(parseRuntimeConfig('overrides:\n  a:\n    ingestion_rate: 5\n    creation_grace_period: 1m\n', defaults));
    assert.equal(o.forTenant('a').ingestion_rate, 5);
    assert.equal(o.forTenant('a').creation_grace_period, 60_000);
    assert.equal(o.forTenant('a').ingestion_burst_size, 200_000);
    assert.equal(o.forTenant('b').ingestion_rate, 10_000);
    assert.ok(Object.isFrozen(o.forTenant('a')));
    assert.throws(() => parseRuntimeConfig('overrides:\n  a:\n    ingestion_rat: 5\n', defaults), { message: 'overrides.a: unknown key "ingestion_rat"' });
    assert.throws(() => parseRuntimeConfig('overrides:\n  a:\n    ingestion_rate: -1\n', defaults), { message: 'overrides.a.ingestion_rate: expected a value >= 0, got -1' });
    assert.throws(() => parseRuntimeConfig('limits: {}\n', defaults), /unknown key "limits"/);
    assert.equal(parseRuntimeConfig('', defaults).size, 0);
  });

  it('reloads the file, and keeps the previous overrides when the new file is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-runtime-'));
    try {
      const file = join(dir, 'runtime.yaml');
      writeFileSync(file, 'overrides:\n  a:\n    max_global_series_per_user: 7\n');
      const o = new Overrides(defaults);
      const oks: boolean[] = [];
      const loader = new RuntimeConfigLoader({ file, period: 3_600_000 }, o, undefined, { lastReloadSuccessful: (ok) => oks.push(ok) });
      await loader.start();
      assert.equal(o.forTenant('a').max_global_series_per_user, 7);
      writeFileSync(file, 'overrides:\n  a:\n    max_global_series_per_user: 8\n');
      await loader.reload();
      assert.equal(o.forTenant('a').max_global_series_per_user, 8);
      writeFileSync(file, 'overrides:\n  a:\n    max_global_series_per_user: many\n');
      await assert.rejects(loader.reload(), /overrides\.a\.max_global_series_per_user/);
      assert.equal(o.forTenant('a').max_global_series_per_user, 8);
      assert.deepEqual(oks, [true, true]);
      await loader.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails start-up on an unreadable file', async () => {
    const loader = new RuntimeConfigLoader({ file: '/nonexistent/runtime.yaml', period: 1000 }, new Overrides(defaults));
    await assert.rejects(loader.start(), /cannot read runtime config file/);
  });
});

describe('rate limiter', () => {
  it('passes the burst at once, then the rate, and refuses a request bigger than the burst', () => {
    const r = new RateLimiter();
    assert.ok(r.allow('a', 100, 10, 100, 0));
    assert.ok(!r.allow('a', 1, 10, 100, 0));
    assert.ok(r.allow('a', 10, 10, 100, 1000));
    assert.ok(!r.allow('a', 1, 10, 100, 1000));
    assert.ok(r.allow('b', 50, 10, 100, 1000), 'tenants have their own buckets');
    assert.ok(!r.allow('c', 101, 10, 100, 0));
    assert.ok(r.allow('a', 100, 10, 100, 100_000), 'tokens refill up to the burst only');
    assert.ok(!r.allow('a', 1, 10, 100, 100_000));
  });
});
