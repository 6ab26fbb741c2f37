import type { LedgerEntry } from '../metering/ledger.ts';
import type { OperationUsage, Usage as UsageSummary } from './openapi.ts';

/** Where the credits went: the `GET /v1/usage` answer, as the document says. */
export type { OperationUsage, UsageSummary };

const SPENDING: ReadonlySet<LedgerEntry['type']> = new Set(['debit', 'refund', 'hold', 'settle', 'release']);
/** Requests counted: a debit or a hold adds one, a refund or a released hold takes it back (a settle only moves credits). */
const REQUESTS: Partial<Record<LedgerEntry['type'], number>> = { debit: 1, hold: 1, refund: -1, release: -1 };

/** Debits, holds and what gives them back are spending; top-ups, plan grants and expiries are not. */
export function isSpending(entry: Pick<LedgerEntry, 'type'>): boolean {
  return SPENDING.has(entry.type);
}

/**
 * Where the credits went between `from` and `to`: net spend per operation (a refunded query
 * counts neither as a query nor as credits) and per UTC day, biggest operations first.
 */
export function summarizeUsage(entries: LedgerEntry[], from: Date, to: Date): UsageSummary {
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const byOperation = new Map<string, OperationUsage>();
  const byDay = new Map<string, number>();
  let total = 0;
  for (const entry of entries) {
    if (!isSpending(entry) || entry.at < fromIso || entry.at >= toIso) continue;
    const spent = -entry.credits;
    const operation = entry.operation ?? 'other';
    const usage = byOperation.get(operation) ?? { operation, count: 0, credits: 0 };
    usage.count += REQUESTS[entry.type] ?? 0;
    usage.credits += spent;
    byOperation.set(operation, usage);
    const day = entry.at.slice(0, 10);
    byDay.set(day, (byDay.get(day) ?? 0) + spent);
    total += spent;
  }
  return {
    from: fromIso,
    to: toIso,
    total,
    byOperation: [...byOperation.values()]
      .filter((u) => u.count > 0 || u.credits !== 0)
      .sort((a, b) => b.credits - a.credits || a.operation.localeCompare(b.operation)),
    byDay: [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, credits]) => ({ date, credits })),
  };
}
