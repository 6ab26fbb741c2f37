import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../functions/metering/ledger.ts';
import { type PutRequest, putLedgerEntries, sharedBatchPut } from '../../functions/metering/ledger-store.ts';

const requests = (owner: string, count: number): PutRequest[] =>
  Array.from({ length: count }, (_, i) => ({ PutRequest: { Item: { pk: owner, sk: `LEDGER#${i}` } } }));

describe('sharedBatchPut', () => {
  it('pools the callers of one turn into shared calls of 25, and a failed call rejects only the callers with an item in it', async () => {
    const calls: string[][] = [];
    const put = sharedBatchPut(async (chunk) => {
      calls.push(chunk.map((request) => String(request.PutRequest.Item.pk)));
      if (chunk.every((request) => request.PutRequest.Item.pk === 'carol')) throw new Error('throttled');
    });
    const outcomes = await Promise.allSettled([put(requests('alice', 10)), put(requests('bob', 10)), put(requests('carol', 10))]);
    // 30 items, three callers: two calls, not three (one per caller) or more.
    expect(calls.map((chunk) => chunk.length)).toEqual([25, 5]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });

  it('a caller of a later turn gets calls of its own, and no items means no call', async () => {
    const calls: number[] = [];
    const put = sharedBatchPut(async (chunk) => {
      calls.push(chunk.length);
    });
    await put(requests('alice', 3));
    await put([]);
    await put(requests('alice', 2));
    expect(calls).toEqual([3, 2]);
  });
});

describe('putLedgerEntries', () => {
  it('stamps every entry with when it was projected, not only a key-less charge’s: a takeover’s walk stops at the first one projected before its record', async () => {
    const at = '2026-11-30T12:00:00.000Z';
    const entries: LedgerEntry[] = [
      { id: 'top_1', type: 'top_up', credits: 50, at, seq: 1, balanceAfter: 50 },
      { id: 'q_keyed', type: 'debit', credits: -10, operation: 'report', at, seq: 2, balanceAfter: 40 },
      { id: 'q_keyless', type: 'debit', credits: -10, operation: 'report', at, seq: 3, balanceAfter: 30, pendingTxn: true },
    ];
    const written: PutRequest[] = [];
    const now = new Date('2026-11-30T12:00:01.500Z');
    await putLedgerEntries('acc_1', entries, async (requests) => void written.push(...requests), now);
    expect(written.map((request) => [request.PutRequest.Item.id, request.PutRequest.Item.projectedAt])).toEqual([
      ['top_1', now.toISOString()],
      ['q_keyed', now.toISOString()],
      ['q_keyless', now.toISOString()],
    ]);
  });
});
