import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renewAccount, renewAll } from '../../functions/plans/renew.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const november = new Date('2026-11-01T00:00:05Z');
const december = new Date('2026-12-01T00:00:05Z');
const january = new Date('2027-01-01T00:00:05Z');

const balance = async (apiKey: string) => (await call(app.url, 'GET', '/v1/balance', { token: apiKey })).body.available as number;
const spend = (accountId: string, credits: number) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/debits`, { token: ADMIN_KEY, body: { credits, operation: 'work' }, idempotencyKey: `s-${Math.random()}` });
const topUp = (accountId: string, credits: number) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/top-ups`, { token: ADMIN_KEY, body: { credits }, idempotencyKey: `t-${Math.random()}` });
async function ledger(accountId: string) {
  await app.settle();
  const entries = (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?limit=100`, { token: ADMIN_KEY })).body.entries;
  return entries.map((e: { type: string; credits: number; balanceAfter: number }) => [e.type, e.credits, e.balanceAfter]).reverse();
}

describe('monthly renewal', () => {
  it('without rollover: unused plan credits expire, purchased credits never do', async () => {
    const c = await newCustomer(app.url, 0, 'free');
    expect(await renewAccount(c.accountId, pricing, november)).toBe('renewed');
    await topUp(c.accountId, 50);
    await spend(c.accountId, 30); // plan credits go first: 70 plan + 50 purchased left
    expect(await renewAccount(c.accountId, pricing, december)).toBe('renewed');
    expect(await balance(c.apiKey)).toBe(150);
    expect(await ledger(c.accountId)).toEqual([
      ['grant', 100, 100],
      ['top_up', 50, 150],
      ['debit', -30, 120],
      ['expiry', -70, 50],
      ['grant', 100, 150],
    ]);
  });

  it('with rollover: unused plan credits carry over, capped at one month', async () => {
    const c = await newCustomer(app.url, 0, 'starter');
    await renewAccount(c.accountId, pricing, november);
    await spend(c.accountId, 200);
    await renewAccount(c.accountId, pricing, december);
    expect(await balance(c.apiKey)).toBe(1800);
    await renewAccount(c.accountId, pricing, january);
    expect(await balance(c.apiKey)).toBe(2000);
    expect((await ledger(c.accountId)).slice(-2)).toEqual([
      ['expiry', -800, 1000],
      ['grant', 1000, 2000],
    ]);
  });

  it('debits spend the soonest-expiring (plan) credits first', async () => {
    const c = await newCustomer(app.url, 0, 'free');
    await renewAccount(c.accountId, pricing, november);
    await topUp(c.accountId, 100);
    await spend(c.accountId, 150); // 100 plan + 50 purchased spent; 50 purchased left
    await renewAccount(c.accountId, pricing, december);
    expect(await balance(c.apiKey)).toBe(150);
    expect((await ledger(c.accountId)).map(([type]: [string]) => type)).not.toContain('expiry');
  });

  it('is idempotent per account and period, even when runs overlap', async () => {
    const c = await newCustomer(app.url, 0, 'free');
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => renewAccount(c.accountId, pricing, november)));
    expect(outcomes.filter((o) => o === 'renewed').length).toBeGreaterThanOrEqual(1);
    expect(await renewAccount(c.accountId, pricing, november)).toBe('already-renewed');
    expect(await balance(c.apiKey)).toBe(100);
    expect((await ledger(c.accountId)).filter(([type]: [string]) => type === 'grant')).toHaveLength(1);
  });

  it('stays exact while debits race with it', async () => {
    const c = await newCustomer(app.url, 0, 'free');
    await renewAccount(c.accountId, pricing, november);
    await topUp(c.accountId, 500);
    await Promise.all([renewAccount(c.accountId, pricing, december), ...Array.from({ length: 20 }, () => spend(c.accountId, 3))]);
    const entries = await ledger(c.accountId);
    const final = await balance(c.apiKey);
    expect(entries.reduce((sum: number, [, credits]: [string, number]) => sum + credits, 0)).toBe(final);
    expect(entries.at(-1)?.[2]).toBe(final);
    expect(final).toBeGreaterThanOrEqual(500 - 60);
  });

  it('a racing renewal expires exactly the plan credits no debit had spent before it', async () => {
    // Several rounds: the race is only a race when a debit lands between the renewal's read and its write.
    for (let round = 0; round < 4; round++) {
      const c = await newCustomer(app.url, 0, 'free');
      await renewAccount(c.accountId, pricing, november); // 100 plan credits
      await topUp(c.accountId, 500); // purchased: never expire, and not spent while plan credits last
      const [, ...debits] = await Promise.all([renewAccount(c.accountId, pricing, december), ...Array.from({ length: 20 }, () => spend(c.accountId, 3))]);
      expect(debits.map((d) => d.status)).toEqual(Array(20).fill(201));
      const entries: [string, number, number][] = await ledger(c.accountId);
      const expiryAt = entries.findIndex(([type]) => type === 'expiry');
      const debitsBefore = entries.slice(0, Math.max(expiryAt, 0)).filter(([type]) => type === 'debit').length;
      const expired = expiryAt < 0 ? 0 : -(entries[expiryAt]?.[1] ?? 0);
      expect(expired, `round ${round}: ${JSON.stringify(entries)}`).toBe(100 - 3 * debitsBefore);
      expect(await balance(c.apiKey)).toBe(100 + 500 - 60 - expired + 100);
    }
  });

  it('the scheduled job renews every account once', async () => {
    const c = await newCustomer(app.url, 0, 'starter');
    const first = await renewAll(pricing, new Date('2027-03-01T00:00:00Z'));
    expect(first.renewed).toBeGreaterThanOrEqual(1);
    expect(first.failed).toBe(0);
    const again = await renewAll(pricing, new Date('2027-03-01T00:00:00Z'));
    expect(again.renewed).toBe(0);
    expect(await balance(c.apiKey)).toBe(1000);
  });

  it('PATCH /v1/accounts/{id} changes the plan for the next renewal', async () => {
    const c = await newCustomer(app.url, 0, 'free');
    const patched = await call(app.url, 'PATCH', `/v1/accounts/${c.accountId}`, { token: ADMIN_KEY, body: { plan: 'growth' } });
    expect(patched.status).toBe(200);
    expect(patched.body.plan).toBe('growth');
    await renewAccount(c.accountId, pricing, november);
    expect(await balance(c.apiKey)).toBe(5000);
    expect((await call(app.url, 'PATCH', `/v1/accounts/${c.accountId}`, { token: ADMIN_KEY, body: { plan: 'gold' } })).status).toBe(400);
    expect((await call(app.url, 'PATCH', '/v1/accounts/acc_AAAAAAAAAAAAAAAA', { token: ADMIN_KEY, body: { plan: 'free' } })).status).toBe(404);
  });
});
