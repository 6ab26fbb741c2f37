import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

async function customer(autoResume: boolean) {
  const email = newAddress();
  const c = await newCustomer(app.url, 0, undefined, email);
  const patched = await call(app.url, 'PATCH', `/v1/accounts/${c.accountId}`, { token: ADMIN_KEY, body: { autoResume } });
  expect(patched.body.autoResume).toBe(autoResume);
  return { ...c, email };
}
const park = async (apiKey: string, operation: string, input: unknown = {}) => {
  const reply = await call(app.url, 'POST', '/v1/queries', { token: apiKey, body: { operation, input } });
  expect(reply.status).toBe(402);
  return reply.body.query.id as string;
};
const topUp = (accountId: string, credits: number) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/top-ups`, { token: ADMIN_KEY, body: { credits }, idempotencyKey: `t-${Math.random()}` });
const status = async (apiKey: string, id: string) => (await call(app.url, 'GET', `/v1/queries/${id}`, { token: apiKey })).body.status;

describe('auto-resume on top-up', () => {
  it('runs parked queries oldest first while the balance covers them, once each, and says which ran', async () => {
    const c = await customer(true);
    const report = await park(c.apiKey, 'report');
    const exportAll = await park(c.apiKey, 'export');
    const search = await park(c.apiKey, 'search', { q: 'bolt' }); // 1 credit: it will fit, but waits its turn
    await app.settle();
    await topUp(c.accountId, 20); // 20: report (10) runs; export (25) does not fit: stop there, oldest first
    await app.settle();
    expect(await status(c.apiKey, report)).toBe('completed');
    expect(await status(c.apiKey, exportAll)).toBe('parked');
    expect(await status(c.apiKey, search)).toBe('parked');
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(10);
    const told = (await mailTo(c.email)).filter((m) => m.subject.startsWith('We ran'));
    expect(told.map((m) => m.subject)).toEqual(['We ran your waiting query']);
    expect(told[0]?.body.text).toContain('report: done, 10 credits');

    await topUp(c.accountId, 20); // 30: export (25), then search (1)
    await app.settle();
    expect(await status(c.apiKey, exportAll)).toBe('completed');
    expect(await status(c.apiKey, search)).toBe('completed');
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(4);
    const resumes = await call(app.url, 'POST', `/v1/queries/${report}/resume`, { token: c.apiKey });
    expect(resumes.status).toBe(409);
  });

  it('does nothing for accounts that did not ask for it', async () => {
    const c = await customer(false);
    const report = await park(c.apiKey, 'report');
    await topUp(c.accountId, 50);
    await app.settle();
    expect(await status(c.apiKey, report)).toBe('parked');
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(50);
  });

  it('PATCH needs at least one setting of the right type', async () => {
    const c = await customer(false);
    for (const body of [{}, { autoResume: 'yes' }, { autoResume: true, colour: 'blue' }]) {
      expect((await call(app.url, 'PATCH', `/v1/accounts/${c.accountId}`, { token: ADMIN_KEY, body })).status).toBe(400);
    }
  });
});
