import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('business metrics', () => {
  it('are published as EMF in the Tollgate namespace with the service dimension, and only when counted', () => {
    // A fresh Node process: Powertools reads POWERTOOLS_METRICS_DISABLED when the module loads.
    const script = `
      import { countMetric, publishMetrics } from './functions/shared/metrics.ts';
      const { after } = publishMetrics();
      after();
      countMetric('debits');
      countMetric('debits');
      countMetric('refunds');
      after();`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_SERVICE_NAME: 'tollgate' },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0] ?? '{}');
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Tollgate', Dimensions: [['service']] });
    // Two additions are two values; CloudWatch sums them (the dashboard uses Sum).
    expect(emf).toMatchObject({ service: 'tollgate', Debits: [1, 1], Refunds: 1 });
  });
});
