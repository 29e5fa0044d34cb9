// Measurements that need a real database and take seconds (bench/*.measure.ts), apart from the unit suite:
//   npx vitest run --config bench/measure.config.mts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('../', import.meta.url)) } },
  test: {
    root: fileURLToPath(new URL('../', import.meta.url)),
    include: ['bench/**/*.measure.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: { CONNECT_LOG: 'silent' },
  },
});
