// The engine and parser the runner uses by default: Strata's own, configured as Prometheus'
// test engine is (max 10000 samples, 100s timeout, 5m lookback, 1m default subquery step).

import { Engine } from '../engine/index.ts';
import { exprToString, parseExpr } from '../parser/index.ts';
import type { RunOptions } from './runner.ts';

export function createRunOptions(o: { enableExperimental?: boolean } = {}): RunOptions {
  const enableExperimental = o.enableExperimental ?? false;
  const engine = new Engine({
    maxSamples: 10_000,
    timeout: 100_000,
    lookbackDelta: 5 * 60_000,
    noStepSubqueryIntervalFn: () => 60_000,
    // Prometheus' test engine enables experimental functions (limitk, sort_by_label,
    // mad_over_time, ...) for every file: the core files use them.
    enableExperimental: true,
  });
  // Parse everything Prometheus' test parser accepts, so experimental cases are recognised and
  // skipped (or run, when enabled) rather than failing to parse.
  const parser = { parseExpr: (s: string) => parseExpr(s, { enableExperimentalFunctions: true }), exprToString };
  // Native histogram cases run; those the engine declares unsupported are skipped
  // ("native histograms") by the runner.
  return { engine, parser, enableExperimental, nativeHistograms: true };
}
