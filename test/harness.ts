// Starts real strata processes for multi-process tests: free ports, bounded waits, logs kept for failures.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const STRATA_BIN = join(REPO_ROOT, 'bin', 'strata.mjs');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `strata <args>` to completion (killed after `timeoutMs`). */
export function runStrata(args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STRATA_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`strata ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 20000}ms\n${stdout}${stderr}`));
    }, opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface StrataProcess {
  readonly child: ChildProcess;
  /** The HTTP port it listens on, read from its "server listening" log line. */
  readonly httpPort: number;
  readonly url: string;
  /** The storage.dir it was given; removed by cleanup(). */
  readonly dir: string;
  stdout(): string;
  stderr(): string;
  /** Resolves at exit; rejects if the process has not exited `timeoutMs` after the call. */
  exited(timeoutMs?: number): Promise<Exit>;
  /** SIGKILLs the process if still running and removes its directory. */
  cleanup(): Promise<void>;
}

/**
 * Starts `strata` on a free HTTP port (port 0, then read from the log) with its own temporary
 * storage.dir, and waits (bounded) until it listens.
 */
export async function startStrata(args: readonly string[] = [], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<StrataProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-test-'));
  const child = spawn(
    process.execPath,
    [STRATA_BIN, '--server.http-listen-address=127.0.0.1', '--server.http-listen-port=0', '--server.grpc-listen-port=0', `--storage.dir=${dir}`, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...opts.env } },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`strata did not listen within ${opts.timeoutMs ?? 20000}ms\n${out}${err}`)), opts.timeoutMs ?? 20000);
    let found = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (found) return;
      // Only complete lines: a chunk may end in the middle of one.
      for (const line of out.split('\n').slice(0, -1)) {
        if (!line.includes('"server listening"')) continue;
        found = true;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
        return;
      }
    });
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`strata exited early (${e.code ?? e.signal})\n${out}${err}`));
    });
  }).catch(async (e: unknown) => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  return {
    child,
    httpPort: port,
    url: `http://127.0.0.1:${port}`,
    dir,
    stdout: () => out,
    stderr: () => err,
    exited: (timeoutMs = 15000) =>
      new Promise<Exit>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`strata did not exit within ${timeoutMs}ms\n${out}${err}`)), timeoutMs);
        void exit.then((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      }),
    cleanup: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch with a bound, so a hung server fails the test instead of hanging it. */
export function get(url: string, timeoutMs = 5000): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
}
