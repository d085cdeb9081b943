import { defineConfig } from 'vitest/config';

// $HEAL_TEST_RESULTS: also write vitest's JSON results there (.ci/run counts the tests from it).
const results = process.env.HEAL_TEST_RESULTS;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: the suite runs real processes and sockets, so keep parallelism modest.
    maxWorkers: 2,
    // expect.poll waits for something a real process or server does: give it a loaded machine's
    // time (vitest's default is 1 s, a wall-clock window of its own).
    expect: { poll: { timeout: 20_000 } },
    ...(results ? { reporters: ['default', 'json'], outputFile: { json: results } } : {}),
  },
});
