import { defineConfig } from 'vitest/config';

// The PostgreSQL restart test restarts the machine's server, so it runs alone, after the rest.
export default defineConfig({
  test: { include: ['test/pg-restart/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 60_000, pool: 'forks', maxWorkers: 1 },
});
