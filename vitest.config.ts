import { defineConfig } from 'vitest/config';

// Tiers run as separate projects (see package.json scripts). `forks` keeps a
// native crash inside one worker instead of killing the whole run.
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'native', include: ['test/native/**/*.test.ts'], testTimeout: 20_000 } },
      {
        extends: true,
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts'],
          // Inside the TCG-emulated lab VM everything is ~50x slower.
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false },
      },
    ],
  },
});
