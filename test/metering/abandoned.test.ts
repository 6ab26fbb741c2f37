import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { refundAbandoned } from '../../functions/metering/metered-call.ts';
import { sweep } from '../../functions/metering/sweeper.ts';
import { findTxn } from '../../functions/metering/txn-store.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService, type MeteredService } from '../../functions/queries/service.ts';
import type { Clock } from '../../functions/shared/clock.ts';
import { derivedId } from '../../functions/shared/ids.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

// The first run of a report never finishes, like an invocation that died after the charge.
let hangNext = false;
const parked: (() => void)[] = [];
const service: MeteredService = {
  ...catalogService,
  run: async (operation, input) => {
    if (hangNext) {
      hangNext = false;
      await new Promise<void>((resolve) => parked.push(resolve));
    }
    return catalogService.run(operation, input);
  },
};

/**
 * The queries function's clock stands still unless the test moves it: a slow machine cannot make a
 * charge look abandoned early, and the test does not wait for the work timeout to pass.
 */
let elapsedMs = 0;
const startedAt = Date.now();
const clock: Clock = { now: () => new Date(startedAt + elapsedMs) };

/** Every invocation of the queries function still running, so a test can wait for the abandoned one to end. */
const inFlight = new Set<Promise<unknown>>();

let app: TestApp;
beforeAll(async () => {
  process.env.METERED_WORK_TIMEOUT_SECONDS = '1';
  const queries = httpHandler(queryRoutes({ service, pricing, clock }));
  app = await startTestApp({
    lambdas: () => ({
      queries: (event, context) => {
        const invocation = queries(event, context);
        inFlight.add(invocation);
        void invocation.finally(() => inFlight.delete(invocation)).catch(() => undefined);
        return invocation;
      },
    }),
  });
});
afterAll(async () => {
  for (const release of parked) release();
  delete process.env.METERED_WORK_TIMEOUT_SECONDS;
  await app.stop();
});

/** Sends a query whose work hangs, and gives up waiting for it, as a client whose connection dropped. */
async function abandonedQuery(apiKey: string, idempotencyKey?: string) {
  hangNext = true;
  const parkedBefore = parked.length;
  const abort = new AbortController();
  const sent = fetch(`${app.url}/v1/queries`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
    body: JSON.stringify({ operation: 'report' }),
    signal: abort.signal,
  }).catch(() => undefined);
  // This query's own work has started (an earlier test's hung work is still parked).
  await expect.poll(() => parked.length).toBeGreaterThan(parkedBefore);
  abort.abort();
  await sent;
}

const balance = async (apiKey: string) => (await call(app.url, 'GET', '/v1/balance', { token: apiKey })).body.available as number;
async function ledger(accountId: string) {
  await app.settle();
  return (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger`, { token: ADMIN_KEY })).body.entries as { type: string; queryId?: string }[];
}

describe('a charge whose work was abandoned', () => {
  it('is carried on by the retry with the same Idempotency-Key: the work runs, nothing is charged twice', async () => {
    const c = await newCustomer(app.url, 30);
    await abandonedQuery(c.apiKey, 'job-7');
    expect(await balance(c.apiKey)).toBe(20);
    const early = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' }, idempotencyKey: 'job-7' });
    expect(early.status).toBe(409);
    expect(early.headers.get('retry-after')).toBe('1');
    // Past the work timeout (1 s): the running charge counts as abandoned and the retry takes it over.
    elapsedMs += 1_100;
    const retry = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' }, idempotencyKey: 'job-7' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'completed', charged: 10, balance: { available: 20 } });
    // The abandoned invocation wakes up after all: its late answer changes nothing.
    expect(inFlight.size).toBe(1);
    parked.shift()?.();
    await Promise.allSettled([...inFlight]);
    expect(inFlight.size).toBe(0);
    expect(await balance(c.apiKey)).toBe(20);
    const entries = await ledger(c.accountId);
    expect(entries.map((e) => e.type)).toEqual(['debit', 'top_up']);
    const replay = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' }, idempotencyKey: 'job-7' });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('is carried on, not charged again, after other charges of the account: whether it was debited is read from the ledger', async () => {
    const c = await newCustomer(app.url, 30);
    await abandonedQuery(c.apiKey, 'job-8');
    // Another charge since: the abandoned one's debit is no longer the account's latest change.
    const other = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    expect(other.status).toBe(200);
    expect(await balance(c.apiKey)).toBe(10);
    await app.settle();
    elapsedMs += 1_100;
    const retry = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' }, idempotencyKey: 'job-8' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'completed', charged: 10 });
    parked.shift()?.();
    await Promise.allSettled([...inFlight]);
    expect(await balance(c.apiKey)).toBe(10);
    expect((await ledger(c.accountId)).map((e) => e.type)).toEqual(['debit', 'debit', 'top_up']);
  });

  it('is not refunded by a sweeper that read it before a retry took it over: the retry’s work runs on that charge', async () => {
    const c = await newCustomer(app.url, 30);
    await abandonedQuery(c.apiKey, 'job-9');
    // What a sweeper read of the charge, before the retry came.
    const seen = await findTxn(c.accountId, derivedId('q', c.accountId, 'job-9'));
    expect(seen).toMatchObject({ status: 'running' });
    elapsedMs += 1_100;
    hangNext = true;
    const parkedBefore = parked.length;
    const retry = call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' }, idempotencyKey: 'job-9' });
    await expect.poll(() => parked.length).toBeGreaterThan(parkedBefore);
    const later = { now: () => new Date(clock.now().getTime() + 16 * 60_000) };
    expect(await refundAbandoned(seen!, later)).toBe(false);
    expect(await balance(c.apiKey)).toBe(20);
    for (const release of parked.splice(0)) release();
    expect(await retry).toMatchObject({ status: 200, body: { status: 'completed', charged: 10 } });
    await Promise.allSettled([...inFlight]);
    expect(await balance(c.apiKey)).toBe(20);
  });

  it('is refunded by the sweeper when no retry takes it over', async () => {
    const c = await newCustomer(app.url, 30);
    await abandonedQuery(c.apiKey);
    expect(await balance(c.apiKey)).toBe(20);
    // A key-less charge has no txn record until it settles: the sweeper finds it by its ledger entry, once projected.
    await app.settle();
    expect((await sweep(clock)).refunded).toBe(0);
    const later = { now: () => new Date(clock.now().getTime() + 16 * 60_000) };
    expect((await sweep(later)).refunded).toBeGreaterThanOrEqual(1);
    expect(await balance(c.apiKey)).toBe(30);
    const entries = await ledger(c.accountId);
    expect(entries.map((e) => e.type)).toEqual(['refund', 'debit', 'top_up']);
    const shown = await call(app.url, 'GET', `/v1/queries/${entries[0]?.queryId}`, { token: c.apiKey });
    expect(shown.body).toMatchObject({ status: 'failed', charged: 0 });
    expect((await sweep(later)).refunded).toBe(0);
  });

  it('on a sharded account, is refunded by the sweeper from the ledger entry of its sub-balance, its record spread', async () => {
    const c = await newCustomer(app.url, 30);
    expect((await call(app.url, 'PATCH', `/v1/accounts/${c.accountId}`, { token: ADMIN_KEY, body: { shards: 3 } })).status).toBe(200);
    await abandonedQuery(c.apiKey);
    expect(await balance(c.apiKey)).toBe(20);
    await app.settle();
    const later = { now: () => new Date(clock.now().getTime() + 16 * 60_000) };
    expect((await sweep(later)).refunded).toBeGreaterThanOrEqual(1);
    expect(await balance(c.apiKey)).toBe(30);
    // The refund is the account item's change; the charge is a sub-balance's: both in the merged usage, the query shown failed.
    const usage = await call(app.url, 'GET', '/v1/usage', { token: c.apiKey });
    expect(usage.status).toBe(200);
    const queryId = (await ledger(c.accountId)).find((e) => e.type === 'refund')?.queryId;
    const shown = await call(app.url, 'GET', `/v1/queries/${queryId}`, { token: c.apiKey });
    expect(shown.body).toMatchObject({ status: 'failed', charged: 0 });
    expect((await sweep(later)).refunded).toBe(0);
  });
});
