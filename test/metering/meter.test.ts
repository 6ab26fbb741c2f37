import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpEvent, HttpResult } from '../../functions/http/types.ts';
import { type MeterOptions, meter } from '../../functions/metering/meter.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/**
 * A platform team's own handler, metered with meter(), served on the queries routes of the local
 * gateway: `POST /v1/queries` is priced by a function of the request (`pages` credits, operation
 * "thumbnail"), `POST /v1/queries/{queryId}/resume` by an operation of the catalogue ("search").
 */
let ran = 0;
const work = async (event: HttpEvent): Promise<HttpResult> => {
  ran += 1;
  const body = JSON.parse(event.body ?? '{}') as { mode?: 'ok' | 'throw' | '5xx'; pages?: number };
  if (body.mode === 'throw') throw new Error('renderer crashed');
  if (body.mode === '5xx') return { statusCode: 503, headers: { 'Content-Type': 'application/json' }, body: '{"message":"renderer busy"}' };
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rendered: body.pages ?? 1, run: ran }) };
};
const priced = middy<HttpEvent, HttpResult, Error, Context>()
  .use(meter({ price: (event) => ({ operation: 'thumbnail', credits: (JSON.parse(event.body ?? '{}') as { pages?: number }).pages ?? 1 }) }))
  .handler(work);
const fixed = middy<HttpEvent, HttpResult, Error, Context>()
  .use(meter({ price: 'search', requireIdempotencyKey: true }))
  .handler(work);

/** Endpoints whose price is wrong, chosen by the `x-test-price` header: each must answer problem+json, charge and run nothing. */
const badPrices: Record<string, MeterOptions['price']> = {
  'an unknown operation': 'no-such-operation',
  'a fractional price': () => ({ operation: 'thumbnail', credits: 1.5 }),
  'a negative price': () => ({ operation: 'thumbnail', credits: -2 }),
  'an invalid operation name': () => ({ operation: 'Not An Operation', credits: 1 }),
  'a price function that crashes': () => {
    throw new TypeError("Cannot read properties of undefined (reading 'pages')");
  },
};
const badlyPriced = Object.fromEntries(
  Object.entries(badPrices).map(([name, price]) => [name, middy<HttpEvent, HttpResult, Error, Context>().use(meter({ price })).handler(work)]),
);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    lambdas: () => ({
      queries: (event, context) => {
        const bad = badlyPriced[event.headers['x-test-price'] ?? ''];
        if (bad) return bad(event, context);
        return event.routeKey === 'POST /v1/queries' ? priced(event, context) : fixed(event, context);
      },
    }),
  });
});
afterAll(() => app.stop());
beforeEach(() => {
  ran = 0;
});

const render = (apiKey: string, body: unknown, idempotencyKey?: string) => call(app.url, 'POST', '/v1/queries', { token: apiKey, body, idempotencyKey });
const balance = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body.balance.available as number;
const ledger = async (accountId: string) => {
  await app.settle();
  return (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger`, { token: ADMIN_KEY })).body.entries as {
    type: string;
    credits: number;
    operation?: string;
  }[];
};

describe('meter() in front of a team’s handler', () => {
  it('charges once, before the work, and says what it cost and what is left', async () => {
    const c = await newCustomer(app.url, 10);
    const reply = await render(c.apiKey, { pages: 3 }, 'page-1');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ rendered: 3, run: 1 });
    expect(reply.headers.get('credits-charged')).toBe('3');
    expect(reply.headers.get('credits-remaining')).toBe('7');
    // The same in-band signals as Tollgate's own routes, so a team's client app can warn before the wall.
    expect(reply.headers.get('ratelimit')).toBe('"credits";r=7');
    expect(reply.headers.get('ratelimit-policy')).toBe('"credits";q=10');
    expect(ran).toBe(1);
    expect(await balance(c.accountId)).toBe(7);
    expect((await ledger(c.accountId))[0]).toMatchObject({ type: 'debit', credits: -3, operation: 'thumbnail' });
  });

  it('replays the stored answer for a retry with the same Idempotency-Key, without running or charging again', async () => {
    const c = await newCustomer(app.url, 10);
    const first = await render(c.apiKey, { pages: 2 }, 'retry-me');
    const second = await render(c.apiKey, { pages: 2 }, 'retry-me');
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('credits-charged')).toBe('2');
    expect(ran).toBe(1);
    expect(await balance(c.accountId)).toBe(8);
    const reused = await render(c.apiKey, { pages: 4 }, 'retry-me');
    expect(reused.status).toBe(422);
    expect(ran).toBe(1);
  });

  it('answers the standard 402 when the caller is short, and the handler never runs', async () => {
    const c = await newCustomer(app.url, 2);
    const reply = await render(c.apiKey, { pages: 5 });
    expect(reply.status).toBe(402);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body).toMatchObject({
      error: 'InsufficientBalance',
      balance: { available: 2, required: 5, shortfall: 3 },
      actions: expect.arrayContaining([expect.objectContaining({ id: 'top_up' })]),
    });
    expect(ran).toBe(0);
    expect(await balance(c.accountId)).toBe(2);
  });

  it('refunds when the handler throws, and says so', async () => {
    const c = await newCustomer(app.url, 10);
    const reply = await render(c.apiKey, { pages: 4, mode: 'throw' }, 'boom');
    expect(reply.status).toBe(500);
    expect(reply.body).toMatchObject({ type: expect.stringContaining('work-failed'), refunded: 4 });
    expect(ran).toBe(1);
    expect(await balance(c.accountId)).toBe(10);
    const entries = await ledger(c.accountId);
    expect(entries.slice(0, 2).map((entry) => [entry.type, entry.credits])).toEqual([
      ['refund', 4],
      ['debit', -4],
    ]);
    // The failure is the answer to that key: a retry is told again, not run or charged again.
    const retry = await render(c.apiKey, { pages: 4, mode: 'throw' }, 'boom');
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(ran).toBe(1);
    expect(await balance(c.accountId)).toBe(10);
  });

  it('refunds when the handler answers 5xx, keeping its answer', async () => {
    const c = await newCustomer(app.url, 10);
    const reply = await render(c.apiKey, { pages: 6, mode: '5xx' });
    expect(reply.status).toBe(503);
    expect(reply.body).toEqual({ message: 'renderer busy' });
    expect(reply.headers.get('credits-charged')).toBe('0');
    expect(reply.headers.get('credits-refunded')).toBe('6');
    expect(await balance(c.accountId)).toBe(10);
  });

  it('prices by an operation of the catalogue and can require an Idempotency-Key', async () => {
    const c = await newCustomer(app.url, 10);
    const path = '/v1/queries/q_any0000000000000000/resume';
    const missing = await call(app.url, 'POST', path, { token: c.apiKey });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const reply = await call(app.url, 'POST', path, { token: c.apiKey, idempotencyKey: 'search-1' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('credits-charged')).toBe('1');
    expect(await balance(c.accountId)).toBe(9);
  });

  it.each(Object.keys(badPrices))('answers a problem+json 500 for %s, charging and running nothing', async (name) => {
    const c = await newCustomer(app.url, 10);
    const reply = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { pages: 1 }, headers: { 'x-test-price': name } });
    expect(reply.status).toBe(500);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ type: expect.stringContaining('price-misconfigured'), detail: expect.stringContaining('Nothing was charged') });
    expect(ran).toBe(0);
    expect(await balance(c.accountId)).toBe(10);
  });

  it('refuses callers without a valid API key as problem+json, charging nothing and running nothing', async () => {
    expect((await render('', { pages: 1 })).status).toBe(401);
    const admin = await render(ADMIN_KEY, { pages: 1 });
    expect(admin.status).toBe(403);
    expect(admin.headers.get('content-type')).toContain('application/problem+json');
    expect(ran).toBe(0);
  });
});
