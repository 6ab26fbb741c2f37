import { findAccount } from '../accounts/store.ts';
import { type BalanceChangeRequest, changeBalance } from '../metering/balance-store.ts';
import { changeFor, type TxnItem } from '../metering/txn.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { addHours, epochSeconds } from '../shared/clock.ts';
import { scanItems } from '../shared/dynamodb.ts';
import { logger } from '../shared/logger.ts';
import { periodOf, renewal } from './renewal.ts';

const MAX_ATTEMPTS = 5;

export type RenewalOutcome = 'renewed' | 'already-renewed' | 'no-plan';

/**
 * Renews one account for the period of `now`: expires unused plan credits (or carries them
 * over), then grants the month. Each step is a txn keyed by account and period, so running
 * the renewal again — a retried schedule, an overlapping run — changes nothing.
 */
export async function renewAccount(accountId: string, pricing: PriceBook, now: Date): Promise<RenewalOutcome> {
  const period = periodOf(now);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const account = await findAccount(accountId);
    const plan = pricing.plans.find((p) => p.id === account?.plan);
    if (!account || !plan) return 'no-plan';
    if (account.renewedPeriod === period) return 'already-renewed';
    const step = renewal({ balance: account.balance, purchased: account.purchased ?? 0 }, plan);
    const expected = { balance: account.balance, purchased: account.purchased ?? 0, purchasedAfter: step.purchasedAfter };
    // The first write of the renewal is applied only to the state it was computed from; a debit in between means recompute.
    if (step.expire > 0) {
      if ((await apply(account.id, 'expiry', step.expire, period, now, { expected })) === 'stale') continue;
      await apply(account.id, 'grant', step.grant, period, now, { renewedPeriod: period });
    } else if ((await apply(account.id, 'grant', step.grant, period, now, { expected, renewedPeriod: period })) === 'stale') {
      continue;
    }
    return 'renewed';
  }
  throw new Error(`Renewal of ${accountId} kept racing with other balance changes`);
}

async function apply(
  accountId: string,
  kind: 'grant' | 'expiry',
  credits: number,
  period: string,
  now: Date,
  options: Pick<BalanceChangeRequest, 'expected' | 'renewedPeriod'>,
): Promise<'applied' | 'stale'> {
  const txn = periodTxn(accountId, kind, credits, period, now);
  const outcome = await changeBalance({ accountId, change: changeFor(txn, now), txn: { put: txn }, ...options });
  // A txn conflict means this step of this period was applied before.
  if (outcome.kind === 'applied' || outcome.kind === 'txn-conflict') return 'applied';
  if (options.expected && outcome.kind === 'insufficient') return 'stale';
  throw new Error(`Renewal ${kind} for ${accountId} not applied: ${outcome.kind}`);
}

function periodTxn(accountId: string, kind: 'grant' | 'expiry', credits: number, period: string, now: Date): TxnItem {
  const at = now.toISOString();
  return {
    id: `${kind}_${period}`,
    kind,
    accountId,
    status: 'completed',
    requestHash: period,
    credits,
    operation: `plan ${kind}`,
    createdAt: at,
    updatedAt: at,
    expiresAtEpoch: epochSeconds(addHours(now, 24 * 400)),
  };
}

/** Renews every account; the scheduled monthly job. Returns counts per outcome. */
export async function renewAll(pricing: PriceBook, now: Date): Promise<Record<RenewalOutcome | 'failed', number>> {
  const counts = { renewed: 0, 'already-renewed': 0, 'no-plan': 0, failed: 0 };
  const accounts = scanItems<{ id: string }>({
    FilterExpression: 'entity = :account',
    ExpressionAttributeValues: { ':account': 'account' },
    ProjectionExpression: 'id',
  });
  for await (const { id } of accounts) {
    try {
      counts[await renewAccount(id, pricing, now)]++;
    } catch (error) {
      counts.failed++;
      logger.error('renewal failed', { error, accountId: id });
    }
  }
  return counts;
}
