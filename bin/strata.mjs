#!/usr/bin/env node
// Entry point of the `strata` executable: registers tsx so that the TypeScript sources run without
// a build step, then hands over to services/strata/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../services/strata/main.ts');
await main(process.argv.slice(2));
