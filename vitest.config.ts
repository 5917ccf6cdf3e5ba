import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Restarts the machine's PostgreSQL: run alone afterwards (vitest.restart.config.ts).
    exclude: ['test/pg-restart/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll without a timeout of its own waits for what the product does eventually (a write, a
    // page's render, an answer over loopback): vitest's 1 s default is too short on a loaded 2-core
    // CI box (a claim-lead test's first two sends took longer). A bound that is the behaviour under
    // test is written out as an assertion of its own, never left to a poll's default.
    expect: { poll: { timeout: 10_000 } },
    // Integration tests start servers and child processes, and wait on them, on timers and on
    // PostgreSQL: on two cores, two workers left a third of the CPU idle. Three ran the suite in 451 s
    // against 513 s here (CPU 64 % busy), every test passing; more would crowd the timing-bound ones.
    pool: 'forks',
    maxWorkers: 3,
    // A worker keeps its modules from one file to the next (each file still starts its own servers and
    // stores): importing the engine, Fastify and the drivers afresh for every file was a quarter of
    // the suite's CPU. Files clean up what they change in process.env; none mocks modules.
    isolate: false,
  },
});
