import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService, type MeteredService } from '../../functions/queries/service.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

let app: TestApp;
let failing: TestApp['url'];
// The same handler with work that breaks after the charge: stands for a platform team's endpoint failing.
const brokenService: MeteredService = { ...catalogService, run: async () => Promise.reject(new Error('catalogue backend unreachable')) };

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const query = (token: string, body: unknown, idempotencyKey?: string) => call(app.url, 'POST', '/v1/queries', { token, body, idempotencyKey });

async function ledger(accountId: string) {
  await app.settle();
  return (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?limit=100`, { token: ADMIN_KEY })).body.entries as {
    type: string;
    credits: number;
    balanceAfter: number;
    queryId?: string;
  }[];
}

describe('POST /v1/queries', () => {
  it('runs the work, charges its price and says what is left', async () => {
    const customer = await newCustomer(app.url, 50);
    const reply = await query(customer.apiKey, { operation: 'report', input: { groupBy: 'supplier' } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('credits-charged')).toBe('10');
    expect(reply.headers.get('credits-remaining')).toBe('40');
    expect(reply.body).toMatchObject({ operation: 'report', status: 'completed', charged: 10, balance: { available: 40, unit: 'credits' } });
    expect(reply.body.id).toMatch(/^q_/);
    expect(reply.body.result.rows.length).toBeGreaterThan(0);
    const shown = await call(app.url, 'GET', `/v1/queries/${reply.body.id}`, { token: customer.apiKey });
    expect(shown.body).toMatchObject({ id: reply.body.id, status: 'completed', charged: 10 });
  });

  it('search finds parts in the sample catalogue', async () => {
    const customer = await newCustomer(app.url, 5);
    const reply = await query(customer.apiKey, { operation: 'search', input: { q: 'hex bolt', limit: 3 } });
    expect(reply.status).toBe(200);
    expect(reply.body.result.items).toHaveLength(3);
    for (const item of reply.body.result.items) expect(item.name).toContain('hex bolt');
  });

  it('a retry with the same Idempotency-Key replays the first answer and charges once', async () => {
    const customer = await newCustomer(app.url, 30);
    const first = await query(customer.apiKey, { operation: 'report' }, 'order-42');
    const again = await query(customer.apiKey, { operation: 'report' }, 'order-42');
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(20);
    expect((await ledger(customer.accountId)).filter((e) => e.type === 'debit')).toHaveLength(1);
  });

  it('the same Idempotency-Key with a different body is a 422 and charges nothing', async () => {
    const customer = await newCustomer(app.url, 30);
    await query(customer.apiKey, { operation: 'report' }, 'k-1');
    const reused = await query(customer.apiKey, { operation: 'export' }, 'k-1');
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toBe('application/problem+json');
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(20);
  });

  it('concurrent retries with one Idempotency-Key charge once', async () => {
    const customer = await newCustomer(app.url, 100);
    const replies = await Promise.all(Array.from({ length: 20 }, () => query(customer.apiKey, { operation: 'report' }, 'same-key')));
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const reply of replies) expect([200, 409]).toContain(reply.status);
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(90);
  });

  it.each([
    ['an unknown operation', { operation: 'mine-bitcoin' }],
    ['input the operation does not accept', { operation: 'search', input: { q: '' } }],
    ['an unknown input field', { operation: 'search', input: { q: 'bolt', sort: 'price' } }],
    ['an unknown top-level field', { operation: 'search', input: { q: 'bolt' }, priority: 'high' }],
    ['a numeric operation', { operation: 7 }],
  ])('refuses %s with 400 and charges nothing', async (_, body) => {
    const customer = await newCustomer(app.url, 5);
    const reply = await query(customer.apiKey, body);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ status: 400, type: expect.stringContaining('validation-error') });
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(5);
  });
});

describe('the 402 recovery answer', () => {
  it('parks the query, charges nothing and offers every way forward', async () => {
    const customer = await newCustomer(app.url, 3, 'free');
    await query(customer.apiKey, { operation: 'search', input: { q: 'valve' } });
    await app.settle();
    const reply = await query(customer.apiKey, { operation: 'report' });
    expect(reply.status).toBe(402);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.headers.get('retry-after')).toBeNull();
    const problem = reply.body;
    expect(problem).toMatchObject({
      type: 'https://tollgate.dev/problems/insufficient-credits',
      title: "Looks like you're out of credits — were you expecting more?",
      status: 402,
      error: 'InsufficientBalance',
      retryable: false,
      balance: { available: 2, required: 10, shortfall: 8, unit: 'credits' },
      query: { status: 'parked' },
    });
    expect(problem.message).toBe(problem.detail);
    expect(problem.detail).toContain('where they went');
    expect(problem.instance).toBe(`/v1/queries/${problem.query.id}`);
    expect(Date.parse(problem.query.expiresAt) - Date.now()).toBeGreaterThan(47 * 3_600_000);
    expect(problem.usage.total).toBe(1);
    expect(problem.usage.topOperations).toEqual([{ operation: 'search', count: 1, credits: 1 }]);
    const ids = problem.actions.map((a: { id: string }) => a.id);
    expect(ids).toEqual(['view_usage', 'top_up', 'change_plan', 'remind_later', 'resume']);
    const topUp = problem.actions.find((a: { id: string }) => a.id === 'top_up');
    expect(topUp.options[0]).toMatchObject({ id: 'pack_100', credits: 100, price: { amount: '5.00', currency: 'USD' } });
    for (const option of topUp.options) expect(option.credits).toBeGreaterThanOrEqual(8);
    const plans = problem.actions.find((a: { id: string }) => a.id === 'change_plan').options;
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) expect(plan.rollover).toBe(true);
    const resume = problem.actions.find((a: { id: string }) => a.id === 'resume');
    expect(resume).toMatchObject({ method: 'POST', href: `${app.url}/v1/queries/${problem.query.id}/resume` });
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(2);
    const parked = await call(app.url, 'GET', `/v1/queries/${problem.query.id}`, { token: customer.apiKey });
    expect(parked.body).toMatchObject({ status: 'parked', charged: 0, price: 10 });
  });

  it('a parked query resumes after a top-up, runs once and is charged once', async () => {
    const customer = await newCustomer(app.url, 4);
    const refused = await query(customer.apiKey, { operation: 'report' });
    expect(refused.status).toBe(402);
    const queryId = refused.body.query.id;
    const stillShort = await call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: customer.apiKey });
    expect(stillShort.status).toBe(402);
    expect(stillShort.body.query.id).toBe(queryId);
    await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 100 }, idempotencyKey: 'refill' });
    const resumes = await Promise.all(Array.from({ length: 10 }, () => call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: customer.apiKey })));
    expect(resumes.filter((r) => r.status === 200)).toHaveLength(1);
    expect(resumes.filter((r) => r.status === 409)).toHaveLength(9);
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(94);
    const again = await call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: customer.apiKey });
    expect(again.status).toBe(409);
    const entries = await ledger(customer.accountId);
    expect(entries.filter((e) => e.type === 'debit' && e.queryId === queryId)).toHaveLength(1);
  });

  it("a key cannot see or resume another account's query", async () => {
    const owner = await newCustomer(app.url, 1);
    const other = await newCustomer(app.url, 100);
    const refused = await query(owner.apiKey, { operation: 'report' });
    const queryId = refused.body.query.id;
    expect((await call(app.url, 'GET', `/v1/queries/${queryId}`, { token: other.apiKey })).status).toBe(404);
    expect((await call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: other.apiKey })).status).toBe(404);
    expect((await call(app.url, 'GET', '/v1/balance', { token: other.apiKey })).body.available).toBe(100);
  });

  it('resuming an unknown query is a 404', async () => {
    const customer = await newCustomer(app.url, 1);
    const reply = await call(app.url, 'POST', '/v1/queries/q_AAAAAAAAAAAAAAAAAAAAAA/resume', { token: customer.apiKey });
    expect(reply.status).toBe(404);
  });
});

describe('failed work is refunded', () => {
  let broken: TestApp;
  beforeAll(async () => {
    broken = await startTestApp({ lambdas: () => ({ queries: httpHandler(queryRoutes({ service: brokenService, pricing, clock: systemClock })) }) });
    failing = broken.url;
  });
  afterAll(() => broken.stop());

  it('charges, then refunds when the work throws; the ledger shows both', async () => {
    const customer = await newCustomer(failing, 30);
    const reply = await call(failing, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } });
    expect(reply.status).toBe(500);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body).toMatchObject({ refunded: 10, query: { status: 'failed' } });
    expect((await call(failing, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(30);
    await broken.settle();
    const entries = (await call(failing, 'GET', `/v1/accounts/${customer.accountId}/ledger`, { token: ADMIN_KEY })).body.entries;
    expect(entries.map((e: { type: string; credits: number; balanceAfter: number }) => [e.type, e.credits, e.balanceAfter])).toEqual([
      ['refund', 10, 30],
      ['debit', -10, 20],
      ['top_up', 30, 30],
    ]);
    const shown = await call(failing, 'GET', `/v1/queries/${reply.body.query.id}`, { token: customer.apiKey });
    expect(shown.body).toMatchObject({ status: 'failed', charged: 0 });
  });
});
