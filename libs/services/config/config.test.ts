import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  ConfigError, duration, durationList, expandEnv, fieldsOf, formatDuration, loadConfig, parseDuration,
  port, renderConfig, secret, section, stringList,
} from '../index.ts';

const schema = z.strictObject({
  target: stringList(['all']),
  server: section({
    http_listen_port: port(9009),
    log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    verbose: z.boolean().default(false),
  }),
  store: section({
    dir: z.string().min(1).default('./data'),
    retention_period: duration('13h'),
    block_ranges_period: durationList(['2h']),
    s3: section({ secret_access_key: secret(), bucket_name: z.string().default('') }),
  }),
});

function load(argv: string[], yaml?: string, env: Record<string, string> = {}) {
  return loadConfig(schema, {
    argv: yaml === undefined ? argv : ['--config.file=cfg.yaml', ...argv],
    env,
    readFile: (p) => {
      assert.equal(p, 'cfg.yaml');
      return yaml ?? '';
    },
  });
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('durations', () => {
  it('parses Prometheus durations into milliseconds', () => {
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('15s'), 15_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1w'), 604_800_000);
    assert.equal(parseDuration('1y'), 31_536_000_000);
    assert.equal(parseDuration('0'), 0);
    for (const bad of ['', 'h', '2', '1.5h', '30m1h', '-1h', '2 h', '2hh']) assert.equal(parseDuration(bad), undefined, bad);
  });

  it('formats the shortest spelling and round-trips', () => {
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(90_061_001), '1d1h1m1s1ms');
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});

describe('expandEnv', () => {
  it('expands ${VAR} and ${VAR:-default}', () => {
    const env = { A: 'x', EMPTY: '' };
    assert.equal(expandEnv('a=${A} b=${B} c=${B:-dflt} d=${A:-dflt} e=${EMPTY:-e}', env), 'a=x b= c=dflt d=x e=e');
    assert.equal(expandEnv('cost $$5 and $HOME', env), 'cost $5 and $HOME');
  });
});

describe('loadConfig', () => {
  it('fills every default', () => {
    const c = load([]);
    assert.deepEqual(c, {
      target: ['all'],
      server: { http_listen_port: 9009, log_level: 'info', verbose: false },
      store: {
        dir: './data',
        retention_period: 13 * 3600_000,
        block_ranges_period: [2 * 3600_000],
        s3: { secret_access_key: '', bucket_name: '' },
      },
    });
  });

  it('applies defaults < YAML < flags', () => {
    const yaml = 'server:\n  http_listen_port: 8000\n  log_level: warn\nstore:\n  dir: /yaml\n';
    const c = load(['--server.http-listen-port=7000', '--store.retention-period', '1h30m'], yaml);
    assert.equal(c.server.http_listen_port, 7000);
    assert.equal(c.server.log_level, 'warn');
    assert.equal(c.store.dir, '/yaml');
    assert.equal(c.store.retention_period, 5_400_000);
  });

  it('accepts --flag=value, --flag value, single dashes and boolean forms', () => {
    assert.equal(load(['--server.verbose']).server.verbose, true);
    assert.equal(load(['--server.verbose=false']).server.verbose, false);
    assert.equal(load(['-server.http-listen-port', '1234']).server.http_listen_port, 1234);
    assert.deepEqual(load(['--target=write,read']).target, ['write', 'read']);
    assert.deepEqual(load(['--store.block-ranges-period=2h,12h']).store.block_ranges_period, [7_200_000, 43_200_000]);
    assert.deepEqual(load([], 'store:\n  block_ranges_period: [2h, 1d]\n').store.block_ranges_period, [7_200_000, 86_400_000]);
  });

  it('expands the environment in the YAML text, with defaults', () => {
    const yaml = 'store:\n  dir: ${DATA_DIR}\n  s3:\n    bucket_name: ${BUCKET:-metrics}\n';
    const c = load([], yaml, { DATA_DIR: '/srv/strata' });
    assert.equal(c.store.dir, '/srv/strata');
    assert.equal(c.store.s3.bucket_name, 'metrics');
  });

  it('treats an empty value (an unset ${VAR}) as the default', () => {
    const c = load([], 'server:\n  http_listen_port: ${UNSET}\nstore:\n  dir:\n', {});
    assert.equal(c.server.http_listen_port, 9009);
    assert.equal(c.store.dir, './data');
  });

  it('returns a deep-frozen object', () => {
    const c = load([]);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.server) && Object.isFrozen(c.store.s3));
    assert.ok(Object.isFrozen(c.store.block_ranges_period));
    assert.throws(() => {
      (c.server as { http_listen_port: number }).http_listen_port = 1;
    }, TypeError);
  });

  it('names an unknown YAML key', () => {
    assert.equal(configError(() => load([], 'server:\n  foo: 1\n')), 'unknown key "server.foo"');
    assert.equal(configError(() => load([], 'nosuch: {}\n')), 'unknown key "nosuch"');
  });

  it('names an unknown flag', () => {
    assert.equal(configError(() => load(['--server.foo=1'])), 'unknown flag "--server.foo"');
    assert.equal(configError(() => load(['stray'])), 'unexpected argument "stray"');
    assert.equal(configError(() => load(['--store.dir'])), 'flag "--store.dir" needs a value');
  });

  it('names the key and the problem for bad values', () => {
    assert.equal(
      configError(() => load(['--server.http-listen-port=abc'])),
      'server.http_listen_port: expected an integer between 0 and 65535, got "abc"',
    );
    assert.equal(
      configError(() => load(['--server.http-listen-port=70000'])),
      'server.http_listen_port: expected an integer between 0 and 65535, got 70000',
    );
    assert.equal(
      configError(() => load(['--server.log-level=loud'])),
      'server.log_level: expected one of "debug", "info", "warn", "error", got "loud"',
    );
    assert.equal(
      configError(() => load(['--store.retention-period=13 hours'])),
      'store.retention_period: expected a duration such as "15s", "2h" or "1h30m", got "13 hours"',
    );
    assert.equal(configError(() => load(['--server.verbose=yes'])), 'server.verbose: expected a boolean, got "yes"');
    assert.equal(configError(() => load([], 'store:\n  dir: ""\n')), 'store.dir: must not be empty, got ""');
    assert.equal(configError(() => load([], 'server: 3\n')), 'server: expected a mapping, got 3');
    assert.match(configError(() => load([], 'server: [\n')), /^cfg\.yaml: /);
    assert.match(configError(() => load([], '- a\n')), /expected a mapping of config sections/);
  });

  it('reports a missing config file', () => {
    const msg = configError(() => loadConfig(schema, { argv: ['--config.file=/nonexistent/strata.yaml'] }));
    assert.match(msg, /^cannot read config file "\/nonexistent\/strata.yaml": ENOENT/);
  });
});

describe('fieldsOf', () => {
  it('lists every key with its flag and kind', () => {
    const byFlag = new Map(fieldsOf(schema).map((f) => [f.flag, f]));
    assert.deepEqual([...byFlag.keys()], [
      'target', 'server.http-listen-port', 'server.log-level', 'server.verbose', 'store.dir',
      'store.retention-period', 'store.block-ranges-period', 'store.s3.secret-access-key', 'store.s3.bucket-name',
    ]);
    assert.equal(byFlag.get('server.verbose')?.kind, 'boolean');
    assert.equal(byFlag.get('server.http-listen-port')?.kind, 'number');
    assert.equal(byFlag.get('store.retention-period')?.kind, 'duration');
    assert.equal(byFlag.get('store.s3.secret-access-key')?.kind, 'secret');
    assert.deepEqual(byFlag.get('server.log-level')?.values, ['debug', 'info', 'warn', 'error']);
  });
});

describe('renderConfig', () => {
  const c = load(['--store.s3.secret-access-key=hunter2', '--store.retention-period=90m']);

  it('masks secrets and shows durations as written', () => {
    const text = renderConfig(schema, c);
    assert.ok(!text.includes('hunter2'));
    const doc = parseYaml(text) as { store: { retention_period: string; s3: { secret_access_key: string } } };
    assert.equal(doc.store.s3.secret_access_key, '********');
    assert.equal(doc.store.retention_period, '1h30m');
  });

  it('leaves an empty secret empty', () => {
    const doc = parseYaml(renderConfig(schema, load([]))) as { store: { s3: { secret_access_key: string } } };
    assert.equal(doc.store.s3.secret_access_key, '');
  });

  it('renders only what differs from the defaults in diff mode', () => {
    assert.deepEqual(parseYaml(renderConfig(schema, c, 'diff')), {
      store: { retention_period: '1h30m', s3: { secret_access_key: '********' } },
    });
    assert.deepEqual(parseYaml(renderConfig(schema, load([]), 'diff')), {});
  });

  it('renders YAML that loads back to the same config', () => {
    const text = renderConfig(schema, load(['--target=read', '--store.block-ranges-period=2h,1d']));
    assert.deepEqual(load([], text), load(['--target=read', '--store.block-ranges-period=2h,1d']));
  });
});
