import { releaseHold } from '../holds/holds.ts';
import type { Clock } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { scanItems } from '../shared/dynamodb.ts';
import { logger } from '../shared/logger.ts';
import { settleFailure } from './metered-call.ts';
import type { TxnItem } from './txn.ts';

/** Retries get this long to take an abandoned charge over before it is refunded instead. */
export const SWEEP_AFTER_MS = 15 * 60_000;

export interface SweepResult {
  /** Abandoned charges refunded. */
  refunded: number;
  /** Holds past their expiry released. */
  released: number;
}

/**
 * One scan, two kinds of leftovers. Charges whose work was abandoned — the invocation died, or
 * DynamoDB failed before the answer was stored — and that no retry took over are refunded (the
 * same at-most-once transition as any failed work, keeping a "refunded" answer for late retries).
 * Holds neither settled nor released by their expiry are released (a settle racing the sweep loses
 * or wins on the hold's own transition, never both). Runs on a schedule.
 */
export async function sweep(clock: Clock): Promise<SweepResult> {
  const now = clock.now();
  const cutoff = new Date(now.getTime() - Math.max(SWEEP_AFTER_MS, config().METERED_WORK_TIMEOUT_SECONDS * 1000)).toISOString();
  const result: SweepResult = { refunded: 0, released: 0 };
  const leftovers = scanItems<TxnItem>({
    FilterExpression: 'entity = :txn AND ((#status = :running AND updatedAt < :cutoff) OR (#status = :held AND holdExpiresAt <= :now))',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':txn': 'txn', ':running': 'running', ':cutoff': cutoff, ':held': 'held', ':now': now.toISOString() },
  });
  for await (const txn of leftovers) {
    if (txn.status === 'held') {
      if ((await releaseHold({ accountId: txn.accountId, holdId: txn.id, now, by: 'expired' }).catch(settledMeanwhile)).applied) result.released++;
      continue;
    }
    await settleFailure(txn, { error: new Error('abandoned: no answer was recorded and no retry took it over') }, clock);
    result.refunded++;
  }
  if (result.refunded > 0) logger.warn('refunded abandoned charges', { refunded: result.refunded });
  if (result.released > 0) logger.info('released expired holds', { released: result.released });
  return result;
}

/** A hold settled between the scan and its release is no longer the sweep's business. */
function settledMeanwhile(error: unknown): { applied: false } {
  if (error instanceof Error && error.name === 'ConflictError') return { applied: false };
  throw error;
}
