import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Transpiles the sources once for the child processes tests start (test/helpers/child-build.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    // One forked process runs the files one after another (vitest gives a 2-core machine one worker, and the suite
    // is CPU-bound: two workers measured no faster). Not isolating files saves loading the sources anew for each of
    // them (about 30 s of a 5-minute run); no test relies on module state another file leaves behind (each opens
    // its own store in its own directory).
    isolate: false,
  },
});
