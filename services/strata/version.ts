// Build information: the version from package.json; revision and branch from the environment at
// build time (STRATA_REVISION, STRATA_BRANCH), as a container build would set them.
import { readFileSync } from 'node:fs';
import type { BuildInfo } from '../../libs/server/index.ts';

export function buildInfo(env: Readonly<Record<string, string | undefined>> = process.env): BuildInfo {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { version: pkg.version, revision: env.STRATA_REVISION ?? 'unknown', branch: env.STRATA_BRANCH ?? 'unknown' };
}

export function versionLine(b: BuildInfo): string {
  return `strata, version ${b.version} (branch: ${b.branch}, revision: ${b.revision})\n  node version: ${process.version}`;
}
