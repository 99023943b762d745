// Lint: type-aware checks for promise mistakes, no import cycles, and library/service boundaries
// (ARCHITECTURE.md section 3). Kept to rules that catch bugs, so that it stays fast.
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import local from './scripts/eslint-rules/boundaries.mjs';

// Sub-libraries with their own public face, importable from outside their library.
const ENTRY_POINTS = [
  'libs/tsdb/encoding/index.ts',
  // The WAL's records, reader and checkpoints: the agent's storage and remote-write watcher use them.
  'libs/tsdb/wal/index.ts',
  'libs/promql/parser/index.ts',
  'libs/promql/engine/index.ts',
  'libs/promql/promqltest/index.ts',
  // Synthetic node_exporter-like series shared by benchmarks.
  'libs/tsdb/bench/nodegen.ts',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tmp/**', '**/*.d.ts', 'proto/gen/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX, local },
    settings: {
      // Imports carry explicit .ts extensions, so plain node resolution finds the files.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js', '.json'] })],
      'import-x/extensions': ['.ts', '.mjs', '.js'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs suites and tests itself; their returned promises need no handling.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'local/boundaries': ['error', { entryPoints: ENTRY_POINTS }],
    },
  },
  {
    files: ['**/*.mjs'],
    // bin/strata.mjs is the entry point: it loads services/strata/main.ts by design.
    ignores: ['bin/**'],
    plugins: { local },
    rules: {
      'local/boundaries': ['error', { entryPoints: ENTRY_POINTS }],
    },
  },
);
