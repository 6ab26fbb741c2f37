import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PriceBook } from '../../functions/pricing/price-book.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/** An operator's own price book, given to the handlers as the stack gives it: nothing of the demo's. */
const book: PriceBook = {
  operations: { thumbnail: 3 },
  topUps: [
    { id: 'mini', credits: 20, price: { amount: '1.50', currency: 'EUR' } },
    { id: 'maxi', credits: 200, price: { amount: '12.00', currency: 'EUR' } },
  ],
  plans: [
    { id: 'hobby', name: 'Hobby', monthlyCredits: 10, rollover: false, price: { amount: '0', currency: 'EUR' } },
    { id: 'studio', name: 'Studio', monthlyCredits: 500, rollover: true, price: { amount: '19.00', currency: 'EUR' }, stripePriceId: 'price_studio' },
  ],
  defaultPlan: 'hobby',
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ priceBook: book });
});
afterAll(() => app.stop());

describe("the operator's price book", () => {
  it('is what GET /v1/prices lists', async () => {
    const customer = await newCustomer(app.url);
    const reply = await call(app.url, 'GET', '/v1/prices', { token: customer.apiKey });
    expect(reply.body).toEqual({ operations: [{ operation: 'thumbnail', credits: 3 }], topUps: book.topUps, plans: book.plans });
  });

  it('gives new accounts its default plan and refuses plans it does not have', async () => {
    const created = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'A', email: 'a@test.example' } });
    expect(created.body.plan).toBe('hobby');
    const demoPlan = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'A', email: 'a@test.example', plan: 'starter' } });
    expect(demoPlan.status).toBe(400);
    expect(demoPlan.body.detail).toBe('body.plan: unknown plan "starter". Plans: hobby, studio.');
  });

  it('prices the 402: its packs and its rollover plans', async () => {
    const customer = await newCustomer(app.url, 5);
    const refused = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/debits`, {
      token: ADMIN_KEY,
      body: { operation: 'thumbnail', credits: 30 },
      idempotencyKey: 'big-render',
    });
    expect(refused.status).toBe(402);
    const actions = refused.body.actions as { id: string; options?: { id: string; price?: unknown }[] }[];
    expect(actions.find((action) => action.id === 'top_up')?.options?.map((option) => [option.id, option.price])).toEqual([['maxi', book.topUps[1]?.price]]);
    expect(actions.find((action) => action.id === 'change_plan')?.options?.map((option) => option.id)).toEqual(['studio']);
  });
});
