import type { Clock } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { scanItems } from '../shared/dynamodb.ts';
import { logger } from '../shared/logger.ts';
import { settleFailure } from './metered-call.ts';
import type { TxnItem } from './txn.ts';

/** Retries get this long to take an abandoned charge over before it is refunded instead. */
export const SWEEP_AFTER_MS = 15 * 60_000;

/**
 * Refunds charges whose work was abandoned — the invocation died, or DynamoDB failed before the
 * answer was stored — and that no retry took over. Runs on a schedule; each refund is the same
 * at-most-once transition as any failed work, and keeps a "refunded" answer for late retries.
 */
export async function refundAbandoned(clock: Clock): Promise<number> {
  const now = clock.now();
  const cutoff = new Date(now.getTime() - Math.max(SWEEP_AFTER_MS, config().METERED_WORK_TIMEOUT_SECONDS * 1000)).toISOString();
  let refunded = 0;
  const abandoned = scanItems<TxnItem>({
    FilterExpression: 'entity = :txn AND #status = :running AND updatedAt < :cutoff',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':txn': 'txn', ':running': 'running', ':cutoff': cutoff },
  });
  for await (const txn of abandoned) {
    await settleFailure(txn, { error: new Error('abandoned: no answer was recorded and no retry took it over') }, clock);
    refunded++;
  }
  if (refunded > 0) logger.warn('refunded abandoned charges', { refunded });
  return refunded;
}
