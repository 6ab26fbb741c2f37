import type { AccountItem } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { type BalanceChangeRequest, changeBalance } from '../metering/balance-store.ts';
import { gatherShards, spreadAfterCredit } from '../metering/sharded-debit.ts';
import { changeFor, type TxnItem } from '../metering/txn.ts';
import { findTxn } from '../metering/txn-store.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { addHours, epochSeconds } from '../shared/clock.ts';
import { scanItems } from '../shared/dynamodb.ts';
import { logger } from '../shared/logger.ts';
import { periodOf, renewal } from './renewal.ts';

/**
 * The renewal's first write applies only to the balance it was computed from, so each debit that
 * lands between its read and its write costs it an attempt. Jittered backoff spreads the attempts
 * past a burst of debits (about 10 s in all) instead of spending them all within the burst.
 */
const MAX_ATTEMPTS = 10;
const backoffMs = (attempt: number) => Math.random() * Math.min(2_000, 20 * 2 ** attempt);

/** `subscribed`: a payment provider's subscription pays for the plan; its paid invoices grant the periods. */
export type RenewalOutcome = 'renewed' | 'already-renewed' | 'no-plan' | 'subscribed';

/**
 * Renews one account for the period of `now`: expires unused plan credits (or carries them
 * over), then grants the month. Each step is a txn keyed by account and period, so running
 * the renewal again — a retried schedule, an overlapping run — changes nothing.
 */
export function renewAccount(accountId: string, pricing: PriceBook, now: Date): Promise<RenewalOutcome> {
  const period = periodOf(now);
  return renew(accountId, pricing, now, { key: period, renewedAlready: async (account) => account.renewedPeriod === period, skipSubscribed: true });
}

/**
 * The same expiry and grant for a paid subscription invoice, keyed by the invoice: each invoice
 * grants once however often its event arrives, and the period is marked renewed so the monthly
 * job does not grant it again.
 */
export function renewForInvoice(accountId: string, pricing: PriceBook, now: Date, invoiceId: string): Promise<RenewalOutcome> {
  return renew(accountId, pricing, now, { key: invoiceId, renewedAlready: async () => (await findTxn(accountId, `grant_${invoiceId}`)) !== undefined });
}

async function renew(
  accountId: string,
  pricing: PriceBook,
  now: Date,
  basis: { key: string; renewedAlready: (account: AccountItem) => Promise<boolean>; skipSubscribed?: boolean },
): Promise<RenewalOutcome> {
  const { key } = basis;
  const renewedPeriod = periodOf(now);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    let account = await findAccount(accountId);
    // A sharded account's renewal is computed from, and conditioned on, the total gathered on its item.
    if (account?.shardSlots) {
      await gatherShards(accountId, now);
      account = await findAccount(accountId);
    }
    const plan = pricing.plans.find((p) => p.id === account?.plan);
    if (!account || !plan) return 'no-plan';
    if (basis.skipSubscribed && account.subscription) return 'subscribed';
    if (await basis.renewedAlready(account)) return 'already-renewed';
    const step = renewal({ balance: account.balance, purchased: account.purchased ?? 0 }, plan);
    const expected = { balance: account.balance, purchased: account.purchased ?? 0, purchasedAfter: step.purchasedAfter };
    // The first write of the renewal is applied only to the state it was computed from; a debit in between means recompute.
    if (step.expire > 0) {
      if ((await apply(account.id, 'expiry', step.expire, key, now, { expected })) === 'stale') continue;
      await apply(account.id, 'grant', step.grant, key, now, { renewedPeriod });
    } else if ((await apply(account.id, 'grant', step.grant, key, now, { expected, renewedPeriod })) === 'stale') {
      continue;
    }
    if (account.shards) await spreadAfterCredit(account.id, now);
    return 'renewed';
  }
  throw new Error(`Renewal of ${accountId} kept racing with other balance changes`);
}

async function apply(
  accountId: string,
  kind: 'grant' | 'expiry',
  credits: number,
  key: string,
  now: Date,
  options: Pick<BalanceChangeRequest, 'expected' | 'renewedPeriod'>,
): Promise<'applied' | 'stale'> {
  const txn = periodTxn(accountId, kind, credits, key, now);
  const outcome = await changeBalance({ accountId, change: changeFor(txn, now), txn: { put: txn }, ...options });
  // A txn conflict means this step of this period (or invoice) was applied before.
  if (outcome.kind === 'applied' || outcome.kind === 'txn-conflict') return 'applied';
  if (options.expected && outcome.kind === 'insufficient') return 'stale';
  throw new Error(`Renewal ${kind} for ${accountId} not applied: ${outcome.kind}`);
}

/** `key`: the period (`YYYY-MM`) of the monthly renewal, or the invoice that paid for the period. */
function periodTxn(accountId: string, kind: 'grant' | 'expiry', credits: number, key: string, now: Date): TxnItem {
  const at = now.toISOString();
  return {
    id: `${kind}_${key}`,
    kind,
    accountId,
    status: 'completed',
    requestHash: key,
    credits,
    operation: `plan ${kind}`,
    createdAt: at,
    updatedAt: at,
    expiresAtEpoch: epochSeconds(addHours(now, 24 * 400)),
  };
}

/** Renews every account; the scheduled monthly job. Returns counts per outcome. */
export async function renewAll(pricing: PriceBook, now: Date): Promise<Record<RenewalOutcome | 'failed', number>> {
  const counts = { renewed: 0, 'already-renewed': 0, 'no-plan': 0, subscribed: 0, failed: 0 };
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
