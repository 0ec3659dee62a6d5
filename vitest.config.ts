import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The node's own tests are the `node` project (make test-node): one of them stops and restarts it.
          exclude: ['test/integration/node/**'],
          environment: 'node',
          globalSetup: ['test/setup/infra.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Files share the servers but use their own topics, databases and namespaces.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/integration/node/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/infra.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/infra.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
