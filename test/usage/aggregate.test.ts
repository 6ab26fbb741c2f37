import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../functions/metering/ledger.ts';
import { summarizeUsage } from '../../functions/usage/aggregate.ts';

const entry = (seq: number, type: LedgerEntry['type'], credits: number, at: string, operation?: string): LedgerEntry => ({
  id: `e${seq}`,
  seq,
  type,
  credits,
  balanceAfter: 0,
  operation,
  at,
});

describe('summarizeUsage', () => {
  const entries = [
    entry(6, 'refund', 10, '2026-11-24T09:00:00.000Z', 'report'),
    entry(5, 'debit', -10, '2026-11-24T08:59:00.000Z', 'report'),
    entry(4, 'debit', -10, '2026-11-23T12:00:00.000Z', 'report'),
    entry(3, 'debit', -1, '2026-11-23T11:00:00.000Z', 'search'),
    entry(2, 'debit', -1, '2026-11-20T11:00:00.000Z', 'search'),
    entry(1, 'top_up', 100, '2026-11-01T00:00:00.000Z'),
  ];

  it('counts net spend per operation and per day; refunds cancel their debit', () => {
    const summary = summarizeUsage(entries, new Date('2026-11-21T00:00:00Z'), new Date('2026-11-25T00:00:00Z'));
    expect(summary.total).toBe(11);
    expect(summary.byOperation).toEqual([
      { operation: 'report', count: 1, credits: 10 },
      { operation: 'search', count: 1, credits: 1 },
    ]);
    expect(summary.byDay).toEqual([
      { date: '2026-11-23', credits: 11 },
      { date: '2026-11-24', credits: 0 },
    ]);
  });

  it('ignores top-ups and entries outside [from, to)', () => {
    const summary = summarizeUsage(entries, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-20T11:00:00Z'));
    expect(summary).toMatchObject({ total: 0, byOperation: [], byDay: [] });
  });
});
