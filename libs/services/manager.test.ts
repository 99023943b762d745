import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModuleDefinition } from './index.ts';
import { BasicService, ModuleGraphError, ModuleManager, ModuleStartError, State } from './index.ts';

type Log = string[];

function mod(name: string, deps: string[], opts: { failStart?: boolean; noService?: boolean } = {}): ModuleDefinition<Log> {
  return {
    name,
    deps,
    init: (log) => {
      log.push(`init ${name}`);
      if (opts.noService) return undefined;
      return new BasicService(name, {
        starting: async () => {
          log.push(`start ${name}`);
          if (opts.failStart) throw new Error(`${name} broke`);
        },
        stopping: async () => {
          log.push(`stop ${name}`);
        },
      });
    },
  };
}

describe('ModuleManager', () => {
  it('orders the transitive dependencies of the targets, each after its deps', () => {
    const m = new ModuleManager<Log>([
      mod('querier', ['ring', 'server']),
      mod('ring', ['kv']),
      mod('kv', []),
      mod('server', ['metrics']),
      mod('metrics', []),
      mod('unused', []),
    ]);
    const order = m.order(['querier']);
    assert.deepEqual([...order].sort(), ['kv', 'metrics', 'querier', 'ring', 'server']);
    const pos = (n: string) => order.indexOf(n);
    assert.ok(pos('kv') < pos('ring') && pos('ring') < pos('querier'));
    assert.ok(pos('metrics') < pos('server') && pos('server') < pos('querier'));
  });

  it('starts in dependency order and stops in reverse', async () => {
    const log: Log = [];
    const m = new ModuleManager<Log>([mod('c', ['b']), mod('b', ['a']), mod('a', [])]);
    await m.start(['c'], log);
    assert.deepEqual(log, ['init a', 'start a', 'init b', 'start b', 'init c', 'start c']);
    assert.deepEqual(m.readiness(), { ready: true, reason: '' });
    log.length = 0;
    await m.stop();
    assert.deepEqual(log, ['stop c', 'stop b', 'stop a']);
    assert.equal(m.readiness().ready, false);
    assert.ok(m.services().every((s) => s.state === State.Terminated));
  });

  it('modules without a service take part in the order', async () => {
    const log: Log = [];
    const m = new ModuleManager<Log>([mod('all', ['x', 'y'], { noService: true }), mod('x', []), mod('y', ['x'])]);
    await m.start(['all'], log);
    assert.deepEqual(log, ['init x', 'start x', 'init y', 'start y', 'init all']);
    assert.equal(m.readiness().ready, true);
    await m.stop();
  });

  it('a failure during start stops the started modules in reverse and reports the module', async () => {
    const log: Log = [];
    const m = new ModuleManager<Log>([mod('a', []), mod('b', ['a']), mod('c', ['b'], { failStart: true }), mod('d', ['c'])]);
    await assert.rejects(m.start(['d'], log), (err: unknown) => {
      assert.ok(err instanceof ModuleStartError);
      assert.equal(err.module, 'c');
      assert.match(err.message, /module "c" failed to start: c broke/);
      return true;
    });
    assert.deepEqual(log, ['init a', 'start a', 'init b', 'start b', 'init c', 'start c', 'stop b', 'stop a']);
    await m.stop();
    assert.deepEqual(log.slice(8), []);
  });

  it('an init that throws is a start failure too', async () => {
    const log: Log = [];
    const m = new ModuleManager<Log>([
      mod('a', []),
      { name: 'b', deps: ['a'], init: () => { throw new Error('bad wiring'); } },
    ]);
    await assert.rejects(m.start(['b'], log), /module "b" failed to start: bad wiring/);
    assert.deepEqual(log, ['init a', 'start a', 'stop a']);
  });

  it('detects a dependency cycle', () => {
    assert.throws(
      () => new ModuleManager<Log>([mod('a', ['b']), mod('b', ['c']), mod('c', ['a'])]),
      (err: unknown) => err instanceof ModuleGraphError && /dependency cycle: a -> b -> c -> a/.test(err.message),
    );
  });

  it('rejects unknown dependencies, unknown targets and duplicate names', () => {
    assert.throws(() => new ModuleManager<Log>([mod('a', ['nope'])]), /depends on unknown module "nope"/);
    assert.throws(() => new ModuleManager<Log>([mod('a', []), mod('a', [])]), /registered twice/);
    assert.throws(() => new ModuleManager<Log>([mod('a', [])]).order(['b']), /unknown module "b"/);
  });

  it('is not ready while a module is still starting', async () => {
    let release!: () => void;
    const m = new ModuleManager<null>([
      { name: 'a', deps: [], init: () => new BasicService('a', {}) },
      { name: 'slow', deps: ['a'], init: () => new BasicService('slow', { starting: () => new Promise<void>((r) => (release = r)) }) },
    ]);
    const started = m.start(['slow'], null);
    await new Promise((r) => setImmediate(r));
    const r = m.readiness();
    assert.equal(r.ready, false);
    assert.match(r.reason, /slow is Starting/);
    release();
    await started;
    assert.equal(m.readiness().ready, true);
    await m.stop();
  });

  it('stop during start aborts the remaining modules and stops the started ones', async () => {
    let release!: () => void;
    const log: Log = [];
    const m = new ModuleManager<Log>([
      mod('a', []),
      { name: 'slow', deps: ['a'], init: () => new BasicService('slow', {
        starting: () => new Promise<void>((r) => (release = r)),
        stopping: async () => void log.push('stop slow'),
      }) },
      mod('c', ['slow']),
    ]);
    const started = m.start(['c'], log);
    await new Promise((r) => setImmediate(r));
    const stopped = m.stop();
    release();
    await assert.rejects(started, /start aborted/);
    await stopped;
    assert.deepEqual(log, ['init a', 'start a', 'stop slow', 'stop a']);
  });

  it('reports a started module that fails later', async () => {
    class Breakable extends BasicService {
      breakNow(): void {
        this.fail(new Error('disk gone'));
      }
    }
    const b = new Breakable('b', {});
    const m = new ModuleManager<null>([{ name: 'b', deps: [], init: () => b }]);
    const failures: string[] = [];
    m.onFailure((name, err) => failures.push(`${name}: ${err.message}`));
    await m.start(['b'], null);
    b.breakNow();
    await assert.rejects(b.awaitTerminated());
    assert.deepEqual(failures, ['b: disk gone']);
    assert.equal(m.readiness().ready, false);
    await assert.rejects(m.stop(), /disk gone/);
  });
});
