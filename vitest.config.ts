import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    // Tests that build real network namespaces share the host's kernel; keep files in one pool
    // but let each file run its own cases in order.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
