import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BasicService, InvalidServiceStateError, Service, State } from './index.ts';

function recorder(s: Service): string[] {
  const seen: string[] = [];
  s.addListener({
    starting: () => seen.push('starting'),
    running: () => seen.push('running'),
    stopping: (from) => seen.push(`stopping<${from}`),
    terminated: (from) => seen.push(`terminated<${from}`),
    failed: (from, err) => seen.push(`failed<${from}:${err.message}`),
  });
  return seen;
}

describe('Service', () => {
  it('goes New → Starting → Running → Stopping → Terminated', async () => {
    const s = new BasicService('a', {});
    const seen = recorder(s);
    assert.equal(s.state(), State.New);
    await s.start();
    assert.equal(s.state(), State.Running);
    await s.awaitRunning();
    await s.stop();
    assert.equal(s.state(), State.Terminated);
    await s.awaitTerminated();
    assert.deepEqual(seen, ['starting', 'running', 'stopping<Running', 'terminated<Stopping']);
  });

  it('fails when starting throws, without calling stopping', async () => {
    let stopped = false;
    const s = new BasicService('a', {
      starting: () => Promise.reject(new Error('boom')),
      stopping: () => {
        stopped = true;
        return Promise.resolve();
      },
    });
    const seen = recorder(s);
    await assert.rejects(s.start(), /boom/);
    assert.equal(s.state(), State.Failed);
    assert.equal(s.failureCase()?.message, 'boom');
    await assert.rejects(s.awaitRunning(), /boom/);
    await assert.rejects(s.awaitTerminated(), /boom/);
    await s.stop();
    assert.equal(stopped, false);
    assert.deepEqual(seen, ['starting', 'failed<Starting:boom']);
  });

  it('refuses a second start', async () => {
    const s = new BasicService('a', {});
    await s.start();
    await assert.rejects(s.start(), InvalidServiceStateError);
    await s.stop();
  });

  it('stop before start terminates and makes awaitRunning reject', async () => {
    const s = new BasicService('a', {});
    await s.stop();
    assert.equal(s.state(), State.Terminated);
    await assert.rejects(s.awaitRunning(), InvalidServiceStateError);
  });

  it('stop during start waits for starting, then stops', async () => {
    let release!: () => void;
    const order: string[] = [];
    const s = new BasicService('a', {
      starting: () => new Promise<void>((r) => (release = r)).then(() => void order.push('started')),
      stopping: () => {
        order.push('stopped');
        return Promise.resolve();
      },
    });
    const started = s.start();
    const stopped = s.stop();
    release();
    await started;
    await stopped;
    assert.deepEqual(order, ['started', 'stopped']);
    assert.equal(s.state(), State.Terminated);
  });

  it('a running service that fails stops with the failure and ends Failed', async () => {
    class Flaky extends Service {
      failure?: Error;
      protected starting(): Promise<void> {
        return Promise.resolve();
      }
      protected override stopping(failure?: Error): Promise<void> {
        this.failure = failure;
        return Promise.resolve();
      }
      breakNow(): void {
        this.fail(new Error('lost connection'));
      }
    }
    const s = new Flaky('flaky');
    const seen = recorder(s);
    await s.start();
    s.breakNow();
    await assert.rejects(s.awaitTerminated(), /lost connection/);
    assert.equal(s.state(), State.Failed);
    assert.equal(s.failure?.message, 'lost connection');
    assert.deepEqual(seen, ['starting', 'running', 'stopping<Running', 'failed<Stopping:lost connection']);
  });

  it('stop is idempotent and concurrent calls share one stopping()', async () => {
    let calls = 0;
    const s = new BasicService('a', {
      stopping: () => {
        calls++;
        return Promise.resolve();
      },
    });
    await s.start();
    await Promise.all([s.stop(), s.stop()]);
    await s.stop();
    assert.equal(calls, 1);
  });
});
