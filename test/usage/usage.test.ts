import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

describe('client routes', () => {
  it('GET /v1/balance shows the available and held credits with an as-of time', async () => {
    const customer = await newCustomer(app.url, 12);
    const reply = await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ available: 12, held: 0, unit: 'credits', asOf: expect.any(String) });
  });

  it('GET /v1/prices lists operations, top-up packs and plans from the pricing definition', async () => {
    const customer = await newCustomer(app.url);
    const reply = await call(app.url, 'GET', '/v1/prices', { token: customer.apiKey });
    expect(reply.status).toBe(200);
    expect(reply.body.operations).toEqual(Object.entries(pricing.operations).map(([operation, credits]) => ({ operation, credits })));
    expect(reply.body.topUps).toEqual(pricing.topUps);
    expect(reply.body.plans).toEqual(pricing.plans);
  });

  it('GET /v1/usage breaks spending down by operation and day, net of refunds', async () => {
    const customer = await newCustomer(app.url, 100);
    for (const operation of ['search', 'search', 'report']) {
      const input = operation === 'search' ? { q: 'bolt' } : {};
      expect((await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation, input } })).status).toBe(200);
    }
    await app.settle();
    const reply = await call(app.url, 'GET', '/v1/usage', { token: customer.apiKey });
    expect(reply.status).toBe(200);
    expect(reply.body.total).toBe(12);
    expect(reply.body.byOperation).toEqual([
      { operation: 'report', count: 1, credits: 10 },
      { operation: 'search', count: 2, credits: 2 },
    ]);
    expect(reply.body.byDay).toEqual([{ date: new Date().toISOString().slice(0, 10), credits: 12 }]);
  });

  it('GET /v1/usage honours from and to', async () => {
    const customer = await newCustomer(app.url, 100);
    await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } });
    await app.settle();
    const reply = await call(app.url, 'GET', '/v1/usage?from=2020-01-01&to=2020-02-01', { token: customer.apiKey });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ from: '2020-01-01T00:00:00.000Z', to: '2020-02-01T00:00:00.000Z', total: 0, byOperation: [], byDay: [] });
  });

  it.each(['from=yesterday', 'from=2026-02-30T99:00:00Z', 'from=2026-03-01&to=2026-02-01', 'from=2020-01-01&to=2026-01-01', 'page=2'])(
    'GET /v1/usage?%s is a 400',
    async (query) => {
      const customer = await newCustomer(app.url);
      const reply = await call(app.url, 'GET', `/v1/usage?${query}`, { token: customer.apiKey });
      expect(reply.status).toBe(400);
      expect(reply.headers.get('content-type')).toBe('application/problem+json');
    },
  );
});
