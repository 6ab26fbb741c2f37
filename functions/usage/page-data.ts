import type { AccountItem } from '../accounts/model.ts';
import { signedUrl } from '../alerts/links.ts';
import { runwayDays } from '../alerts/runway.ts';
import { effectiveAlerts } from '../alerts/settings.ts';
import { ledgerSince } from '../metering/ledger-store.ts';
import { buyLinks } from '../payments/buy-links.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { rolloverPlans } from '../pricing/prices.ts';
import { summarizeUsage } from './aggregate.ts';
import type { RecentQuery, UsagePageData } from './page.ts';

const PERIOD_DAYS = 30;
const BIGGEST = 5;

/**
 * Gathers what the usage page shows: one ledger read, the rest from the account and the prices.
 * `parkedQueryId`: the query the customer came from (a 402's usage link); buying from the page runs it.
 */
export async function usagePageData(
  account: AccountItem,
  pricing: PriceBook,
  now: Date,
  options: { notice?: string; parkedQueryId?: string } = {},
): Promise<UsagePageData> {
  const from = new Date(now.getTime() - PERIOD_DAYS * 86_400_000);
  const entries = await ledgerSince(account.id, from, account.shardSlots);
  const refunded = new Set(entries.filter((e) => e.type === 'refund').map((e) => e.queryId));
  const biggestQueries: RecentQuery[] = entries
    .filter((e) => e.type === 'debit' && !(e.queryId && refunded.has(e.queryId)))
    .map((e) => ({ operation: e.operation ?? 'other', credits: -e.credits, at: e.at, queryId: e.queryId }))
    .sort((a, b) => b.credits - a.credits || b.at.localeCompare(a.at))
    .slice(0, BIGGEST);
  const buy = await buyLinks(account.id, pricing, now, options.parkedQueryId);
  return {
    accountName: account.name,
    planName: pricing.plans.find((plan) => plan.id === account.plan)?.name ?? account.plan,
    balance: { available: account.balance, held: account.held ?? 0, asOf: now.toISOString() },
    period: { from: from.toISOString(), to: now.toISOString() },
    usage: summarizeUsage(entries, from, new Date(now.getTime() + 1)),
    biggestQueries,
    runwayDays: runwayDays(account.balance, entries, now),
    topUps: pricing.topUps.map((pack) => ({ ...pack, href: buy.pack(pack.id) })),
    plans: rolloverPlans(pricing).map((plan) => ({ ...plan, href: buy.plan(plan.id) })),
    remindAction: await signedUrl('remind', account.id, now),
    alerts: effectiveAlerts(account),
    notice: options.notice,
  };
}
