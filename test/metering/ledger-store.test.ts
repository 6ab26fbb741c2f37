import { describe, expect, it } from 'vitest';
import { type PutRequest, sharedBatchPut } from '../../functions/metering/ledger-store.ts';

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
