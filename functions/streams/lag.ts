import { createHash } from 'node:crypto';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBRecord } from 'aws-lambda';
import { LEDGER_LAG_BUCKETS, LEDGER_LAG_METRIC } from '../shared/metrics-names.ts';

/** Its own instance: the lag carries an account-bucket dimension the business metrics must not get. */
const lagMetrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Tollgate',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tollgate',
});

/** A stable bucket per account, so one hot account shows up as one line without a metric per account. */
export function accountBucket(accountId: string): string {
  return `b${createHash('sha256').update(accountId).digest().readUInt8(0) % LEDGER_LAG_BUCKETS}`;
}

/**
 * Publishes, per account bucket, how far behind the table the ledger was when this batch was
 * projected: now minus the oldest change's commit time (`ApproximateCreationDateTime`).
 */
export function recordLedgerLag(records: readonly DynamoDBRecord[], accountOf: (record: DynamoDBRecord) => string | undefined, now: Date): void {
  const oldest = new Map<string, number>();
  for (const record of records) {
    const accountId = accountOf(record);
    const committed = record.dynamodb?.ApproximateCreationDateTime;
    if (!accountId || committed === undefined) continue;
    const bucket = accountBucket(accountId);
    oldest.set(bucket, Math.min(oldest.get(bucket) ?? Number.POSITIVE_INFINITY, committed * 1000));
  }
  for (const [bucket, committedAt] of oldest) {
    lagMetrics.addDimension('accountBucket', bucket);
    lagMetrics.addMetric(LEDGER_LAG_METRIC, MetricUnit.Milliseconds, Math.max(0, now.getTime() - committedAt));
    lagMetrics.publishStoredMetrics();
  }
}
