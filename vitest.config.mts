import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Database suites share one PostgreSQL server; each file uses its own schema, so files may run in parallel.
    testTimeout: 20_000,
    env: { CONNECT_LOG: 'silent' },
  },
});
