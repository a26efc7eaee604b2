import { defineConfig } from 'vitest/config';

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
        // The web client's state logic and components, in a browser-like DOM.
        esbuild: { jsx: 'automatic' },
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
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
    ],
  },
});
