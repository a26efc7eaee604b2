import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The web client runs on Preact with its React compatibility layer (see web/vite.config.ts). */
const PREACT_ALIASES = [
  { find: /^react-dom\/test-utils$/, replacement: 'preact/test-utils' },
  { find: /^react-dom(\/client)?$/, replacement: 'preact/compat$1' },
  { find: /^react\/jsx-(dev-)?runtime$/, replacement: 'preact/jsx-$1runtime' },
  { find: /^react$/, replacement: 'preact/compat' },
  // Its ES module build, which the test runner transforms (and so aliases) like the client.
  {
    find: /^@testing-library\/react$/,
    replacement: fileURLToPath(
      new URL(
        'node_modules/@testing-library/react/dist/@testing-library/react.esm.js',
        import.meta.url,
      ),
    ),
  },
];

const integration = (db: string) => ({
  test: {
    name: db,
    include: ['tests/integration/**/*.test.ts'],
    env: { PARLEY_TEST_DB: db },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    maxWorkers: 3,
    projects: [
      { test: { name: 'unit', include: ['server/**/*.test.ts', 'protocol/**/*.test.ts'] } },
      {
        // The web client's state logic and components, in a browser-like DOM, on Preact as
        // built (web/vite.config.ts): React's names resolve to preact/compat, also inside the
        // testing library.
        esbuild: { jsx: 'automatic' },
        resolve: { alias: PREACT_ALIASES },
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          server: { deps: { inline: [/@testing-library[\\/]react/] } },
        },
      },
      {
        // The built client in Chromium against a real server (see tests/e2e/global-setup.ts).
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      integration('sqlite'),
      integration('postgres'),
      integration('mysql'),
      {
        // Several nodes on PostgreSQL and Redis, in one process.
        test: {
          name: 'cluster',
          include: ['tests/cluster/**/*.test.ts'],
          env: { PARLEY_TEST_DB: 'postgres' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Crash, partition and load tests against Parley child processes (SIGKILL and restart).
        // One file at a time: each drives the machine hard and some assert a time budget.
        test: {
          name: 'reliability',
          include: ['tests/reliability/**/*.test.ts'],
          env: { PARLEY_TEST_DB: 'sqlite' },
          fileParallelism: false,
          testTimeout: 150_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Failures of a real deployment: several node processes on PostgreSQL and a private
        // Redis behind nginx; kill -9, SIGTERM, Redis and database restarts, reconnect storm.
        // One file at a time (each starts its own services); scripts/test.mjs runs it last.
        test: {
          name: 'failure',
          include: ['tests/failure/**/*.test.ts'],
          env: { PARLEY_TEST_DB: 'postgres' },
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
