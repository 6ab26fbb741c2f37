import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

// An operator whose price book allows a settle to take more than its hold, up to the balance.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ priceBook: { ...pricing, holdOverage: 'allow' } });
});
afterAll(() => app.stop());

describe('holds under the "allow" overage policy', () => {
  it('takes the overage from the available balance as far as it goes, never below zero', async () => {
    const { apiKey } = await newCustomer(app.url, 100);
    const first = await call(app.url, 'POST', '/v1/holds', { token: apiKey, body: { operation: 'export', credits: 10 } });
    const over = await call(app.url, 'POST', `/v1/holds/${first.body.id}/settle`, { token: apiKey, body: { credits: 35 } });
    expect(over.body).toMatchObject({ charged: 35, balance: { available: 65, held: 0 } });

    const second = await call(app.url, 'POST', '/v1/holds', { token: apiKey, body: { operation: 'export', credits: 60 } });
    const capped = await call(app.url, 'POST', `/v1/holds/${second.body.id}/settle`, { token: apiKey, body: { credits: 500 } });
    // 60 held + the 5 still available: the balance ends at zero, not below.
    expect(capped.body).toMatchObject({ charged: 65, balance: { available: 0, held: 0 } });
  });
});
