import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Test files that set environment variables or module state other files would inherit in a shared worker,
 * or that need their own clients (a DynamoDB Local of their own: startIsolatedTestApp).
 */
const OWN_MODULE_STATE = [
  'test/console/console.browser.test.ts',
  'test/copy/{overrides,preview,variants}.test.ts',
  'test/holds/overage.test.ts',
  'test/lib/{config,price-book,schedules,sweeper}.test.ts',
  'test/metering/{abandoned,concurrency,sharded,sharded-throttled}.test.ts',
  'test/payments/{checkout.browser,checkout,webhook}.test.ts',
  'test/pricing/{operator-price-book,price-book}.test.ts',
  'test/properties/dynamodb-unavailable.test.ts',
  'test/queries/quoted-price.test.ts',
  'test/recovery/social-proof.test.ts',
  'test/reminders/reminders.test.ts',
  'test/shared/{config,logger,secrets}.test.ts',
  'test/streams/alerts-on-time.test.ts',
  'test/webhooks/delivery.test.ts',
];

/** The test of Tollgate as platform teams install it (the packed tarball in fresh projects). */
const PACKAGE = 'test/package/consumer.test.ts';

export default defineConfig({
  test: {
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
    // Most files reuse one worker's loaded modules (isolate: false saves about 2 s of imports per file); files
    // that change process.env, the price book, a module's clients or fake the SDK get a fresh worker each.
    // The packed-tarball test has a project of its own: its global setup starts making the consumer projects in
    // the background when the run starts (a minute of CPU while the other files mostly wait on DynamoDB Local), and,
    // isolated on one worker, it runs last, when they are long made.
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...OWN_MODULE_STATE, PACKAGE], isolate: false } },
      { extends: true, test: { name: 'isolated', include: OWN_MODULE_STATE } },
      { extends: true, test: { name: 'package', include: [PACKAGE], globalSetup: ['test/package/global-setup.ts'] } },
    ],
  },
});
