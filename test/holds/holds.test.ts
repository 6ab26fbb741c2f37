import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep } from '../../functions/metering/sweeper.ts';
import type { Clock } from '../../functions/shared/clock.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const hold = (apiKey: string, body: unknown, idempotencyKey?: string) => call(app.url, 'POST', '/v1/holds', { token: apiKey, body, idempotencyKey });
const settle = (apiKey: string, id: string, credits: number) => call(app.url, 'POST', `/v1/holds/${id}/settle`, { token: apiKey, body: { credits } });
const release = (apiKey: string, id: string) => call(app.url, 'POST', `/v1/holds/${id}/release`, { token: apiKey });
const balance = async (apiKey: string) => (await call(app.url, 'GET', '/v1/balance', { token: apiKey })).body;
const ledger = async (accountId: string) => {
  await app.settle();
  const reply = await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?limit=100`, { token: ADMIN_KEY });
  return reply.body.entries.map((e: { type: string; credits: number; balanceAfter: number }) => [e.type, e.credits, e.balanceAfter]).reverse();
};

describe('holds: work priced afterwards', () => {
  it('holds the estimate, settles the actual price and gives back the rest, once', async () => {
    const { accountId, apiKey } = await newCustomer(app.url, 100);
    const placed = await hold(apiKey, { operation: 'export', credits: 40, expiresIn: 'PT5M' });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ operation: 'export', held: 40, status: 'held', balance: { available: 60, held: 40 } });
    expect(Date.parse(placed.body.expiresAt) - Date.parse(placed.body.createdAt)).toBe(5 * 60_000);
    expect(await balance(apiKey)).toMatchObject({ available: 60, held: 40 });

    const settled = await settle(apiKey, placed.body.id, 25);
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ status: 'settled', held: 40, charged: 25, balance: { available: 75, held: 0 } });
    // The same settle again changes nothing; another amount is a conflict.
    const again = await settle(apiKey, placed.body.id, 25);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.balance).toMatchObject({ available: 75, held: 0 });
    expect((await settle(apiKey, placed.body.id, 30)).status).toBe(409);
    expect((await release(apiKey, placed.body.id)).status).toBe(409);

    expect(await ledger(accountId)).toEqual([
      ['top_up', 100, 100],
      ['hold', -40, 60],
      ['settle', 15, 75],
    ]);
    const usage = (await call(app.url, 'GET', '/v1/usage', { token: apiKey })).body;
    expect(usage.total).toBe(25);
    expect(usage.byOperation).toEqual([{ operation: 'export', count: 1, credits: 25 }]);
  });

  it('caps a settle above the hold at the hold (the default policy), and a release gives it all back', async () => {
    const { accountId, apiKey } = await newCustomer(app.url, 100);
    const capped = await hold(apiKey, { operation: 'export', credits: 10 });
    expect((await settle(apiKey, capped.body.id, 50)).body).toMatchObject({ charged: 10, balance: { available: 90, held: 0 } });
    const released = await hold(apiKey, { operation: 'export', credits: 30 });
    const reply = await release(apiKey, released.body.id);
    expect(reply.body).toMatchObject({ status: 'released', releasedBy: 'request', charged: 0, balance: { available: 90, held: 0 } });
    expect((await release(apiKey, released.body.id)).headers.get('idempotent-replayed')).toBe('true');
    expect((await settle(apiKey, released.body.id, 5)).status).toBe(409);
    expect(await ledger(accountId)).toEqual([
      ['top_up', 100, 100],
      ['hold', -10, 90],
      ['settle', 0, 90],
      ['hold', -30, 60],
      ['release', 30, 90],
    ]);
  });

  it('never holds more than is available: the same 402 recovery answer, nothing held', async () => {
    const { apiKey } = await newCustomer(app.url, 20);
    const refused = await hold(apiKey, { operation: 'export', credits: 25 }, 'big-one');
    expect(refused.status).toBe(402);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.balance).toMatchObject({ available: 20, held: 0, required: 25, shortfall: 5 });
    const retried = await hold(apiKey, { operation: 'export', credits: 25 }, 'big-one');
    expect(retried.status).toBe(402);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await balance(apiKey)).toMatchObject({ available: 20, held: 0 });
  });

  it('a retried hold with the same Idempotency-Key holds once', async () => {
    const { apiKey } = await newCustomer(app.url, 100);
    const [first, second] = await Promise.all([
      hold(apiKey, { operation: 'export', credits: 30 }, 'job-7'),
      hold(apiKey, { operation: 'export', credits: 30 }, 'job-7'),
    ]);
    const statuses = [first.status, second.status].sort();
    expect(statuses[0]).toBe(201);
    expect([201, 409]).toContain(statuses[1]);
    const replay = await hold(apiKey, { operation: 'export', credits: 30 }, 'job-7');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await balance(apiKey)).toMatchObject({ available: 70, held: 30 });
    expect((await hold(apiKey, { operation: 'export', credits: 31 }, 'job-7')).status).toBe(422);
  });

  it('a hold nobody settles is released by the sweep after its expiry, exactly once, and a late settle is told so', async () => {
    const { accountId, apiKey } = await newCustomer(app.url, 100);
    const placed = await hold(apiKey, { operation: 'export', credits: 40, expiresIn: 'PT1M' });
    const later: Clock = { now: () => new Date(Date.parse(placed.body.expiresAt) + 1) };
    const sweepsBefore = (await sweep({ now: () => new Date(Date.parse(placed.body.expiresAt) - 1000) })).released;
    expect(sweepsBefore).toBe(0);
    const [a, b] = await Promise.all([sweep(later), sweep(later)]);
    expect(a.released + b.released).toBe(1);
    expect(await balance(apiKey)).toMatchObject({ available: 100, held: 0 });
    const late = await settle(apiKey, placed.body.id, 10);
    expect(late.status).toBe(410);
    expect((await call(app.url, 'GET', `/v1/holds/${placed.body.id}`, { token: apiKey })).body).toMatchObject({ status: 'released', releasedBy: 'expired' });
    expect(await ledger(accountId)).toEqual([
      ['top_up', 100, 100],
      ['hold', -40, 60],
      ['release', 40, 100],
    ]);
  });

  it('the warning email and the usage page show what is held apart from the available balance', async () => {
    const email = newAddress();
    const { apiKey } = await newCustomer(app.url, 100, undefined, email);
    await hold(apiKey, { operation: 'export', credits: 60 }); // available 40: crosses the 50 % threshold
    await app.settle();
    const [warning] = await mailTo(email);
    expect(warning?.subject).toBe('Heads up: 40 credits left (50% of your last top-up)');
    expect(warning?.body.text).toContain('Balance: 40 credits as of');
    expect(warning?.body.text).toContain('Reserved for work still running: 60 credits (charged when it finishes, returned if it fails).');
    expect(warning?.body.html).toContain('Reserved for work still running: 60 credits');

    const usageLink = warning?.body.text?.match(/See my usage: (\S+)/)?.[1] ?? '';
    const page = await (await fetch(usageLink)).text();
    expect(page).toMatch(/<p class="amount">40 <span class="unit">credits<\/span><\/p>/);
    expect(page).toContain('<p class="held">Not included: 60 credits reserved for work still running');
  });

  it('validates what it is given, and a revoked key can do nothing with a hold', async () => {
    const { accountId, keyId, apiKey } = await newCustomer(app.url, 100);
    for (const body of [
      { operation: 'export' },
      { operation: 'export', credits: 5, expiresIn: 'PT30S' },
      { operation: 'export', credits: 5, expiresIn: 'PT25H' },
      { operation: 'Export', credits: 5 },
    ]) {
      const reply = await hold(apiKey, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
    }
    const placed = await hold(apiKey, { operation: 'export', credits: 10 });
    expect((await settle(apiKey, placed.body.id, -1)).status).toBe(400);
    expect((await call(app.url, 'POST', '/v1/holds/hd_nope/settle', { token: apiKey, body: { credits: 1 } })).status).toBe(400);
    expect((await call(app.url, 'POST', '/v1/holds/hd_AAAAAAAAAAAAAAAAAAAA/settle', { token: apiKey, body: { credits: 1 } })).status).toBe(404);
    await call(app.url, 'DELETE', `/v1/accounts/${accountId}/keys/${keyId}`, { token: ADMIN_KEY });
    expect((await settle(apiKey, placed.body.id, 1)).status).toBe(401);
    expect((await release(apiKey, placed.body.id)).status).toBe(401);
  });
});
