import type { LedgerEntry } from '../metering/ledger.ts';
import { isSpending } from '../usage/aggregate.ts';

export const RUNWAY_WINDOW_DAYS = 7;

/**
 * Days of credits left at the pace of the last week (net of refunds), or undefined when there
 * was no spending to measure a pace from. Pure.
 */
export function runwayDays(balance: number, entries: LedgerEntry[], now: Date): number | undefined {
  const since = new Date(now.getTime() - RUNWAY_WINDOW_DAYS * 86_400_000).toISOString();
  const spent = entries.filter((e) => isSpending(e) && e.at >= since).reduce((sum, e) => sum - e.credits, 0);
  if (spent <= 0) return undefined;
  return balance / (spent / RUNWAY_WINDOW_DAYS);
}
