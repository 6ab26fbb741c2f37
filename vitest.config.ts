import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Files share one DynamoDB Local (Java) on a 2-core machine: one file at a time keeps timings sane.
    fileParallelism: false,
    // The handlers read the price book from TOLLGATE_PRICE_BOOK: this repository's own, unless a test gives another.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', TOLLGATE_PRICE_BOOK: readFileSync('tollgate.prices.json', 'utf8') },
    // The JSON report lets .ci/run print the plain "N passed, N failed" line CI reads.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
