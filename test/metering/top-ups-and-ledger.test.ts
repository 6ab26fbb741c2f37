import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const topUp = (accountId: string, body: unknown, idempotencyKey?: string) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/top-ups`, { token: ADMIN_KEY, body, idempotencyKey });
const debit = (accountId: string, body: unknown, idempotencyKey?: string) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/debits`, { token: ADMIN_KEY, body, idempotencyKey });

describe('POST /v1/accounts/{accountId}/top-ups', () => {
  it('adds credits and answers with the new balance', async () => {
    const { accountId } = await newCustomer(app.url);
    const reply = await topUp(accountId, { credits: 250, reference: 'invoice 1001' }, 'inv-1001');
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ credits: 250, reference: 'invoice 1001', balance: { available: 250, unit: 'credits' } });
  });

  it('a retry with the same key is replayed, not applied twice', async () => {
    const { accountId } = await newCustomer(app.url);
    const first = await topUp(accountId, { credits: 100 }, 'inv-7');
    const second = await topUp(accountId, { credits: 100 }, 'inv-7');
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body).toEqual(first.body);
    const account = await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY });
    expect(account.body.balance.available).toBe(100);
  });

  it('the same key with a different amount is a 422', async () => {
    const { accountId } = await newCustomer(app.url);
    await topUp(accountId, { credits: 100 }, 'inv-8');
    const reply = await topUp(accountId, { credits: 1000 }, 'inv-8');
    expect(reply.status).toBe(422);
    expect(reply.body.type).toContain('idempotency-key-reused');
  });

  it('keys are per account: the same key on two accounts are two top-ups', async () => {
    const a = await newCustomer(app.url);
    const b = await newCustomer(app.url);
    expect((await topUp(a.accountId, { credits: 5 }, 'shared')).status).toBe(201);
    expect((await topUp(b.accountId, { credits: 5 }, 'shared')).status).toBe(201);
  });

  it.each([
    ['no Idempotency-Key', { credits: 10 }, undefined],
    ['an Idempotency-Key with a space', { credits: 10 }, 'has space'],
    ['an overlong Idempotency-Key', { credits: 10 }, 'k'.repeat(256)],
    ['negative credits', { credits: -5 }, 'k1'],
    ['zero credits', { credits: 0 }, 'k2'],
    ['fractional credits', { credits: 1.5 }, 'k3'],
    ['huge credits', { credits: 1e15 }, 'k4'],
    ['credits as a string', { credits: '10' }, 'k5'],
    ['missing credits', {}, 'k6'],
    ['an unknown field', { credits: 10, currency: 'USD' }, 'k7'],
  ])('refuses %s with 400 and writes nothing', async (_, body, key) => {
    const { accountId } = await newCustomer(app.url);
    await app.settle();
    const before = await tableSnapshot(app);
    const reply = await topUp(accountId, body, key);
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    await app.settle();
    expect(await tableSnapshot(app)).toBe(before);
  });

  it('a top-up to an unknown account is a 404', async () => {
    expect((await topUp('acc_AAAAAAAAAAAAAAAA', { credits: 5 }, 'x')).status).toBe(404);
  });
});

describe('POST /v1/accounts/{accountId}/debits', () => {
  it('debits atomically, replays retries and answers 402 when short', async () => {
    const { accountId } = await newCustomer(app.url, 10);
    const first = await debit(accountId, { credits: 7, operation: 'ingest' }, 'job-1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ credits: 7, operation: 'ingest', balance: { available: 3 } });
    expect(first.headers.get('credits-remaining')).toBe('3');
    const retry = await debit(accountId, { credits: 7, operation: 'ingest' }, 'job-1');
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const short = await debit(accountId, { credits: 7, operation: 'ingest' }, 'job-2');
    expect(short.status).toBe(402);
    expect(short.body).toMatchObject({ error: 'InsufficientBalance', balance: { available: 3, required: 7, shortfall: 4 } });
    expect(short.body.query).toBeUndefined();
    expect(short.body.actions.map((a: { id: string }) => a.id)).not.toContain('resume');
    const shortRetry = await debit(accountId, { credits: 7, operation: 'ingest' }, 'job-2');
    expect(shortRetry.status).toBe(402);
    expect(shortRetry.headers.get('idempotent-replayed')).toBe('true');
  });

  it('needs an Idempotency-Key', async () => {
    const { accountId } = await newCustomer(app.url, 10);
    expect((await debit(accountId, { credits: 1, operation: 'ingest' })).status).toBe(400);
  });
});

describe('GET /v1/accounts/{accountId}/ledger', () => {
  it('lists every change newest first with the balance after it, and sums to the balance', async () => {
    const { accountId, apiKey } = await newCustomer(app.url, 40);
    await call(app.url, 'POST', '/v1/queries', { token: apiKey, body: { operation: 'report' } });
    await debit(accountId, { credits: 5, operation: 'ingest' }, 'd-1');
    await topUp(accountId, { credits: 3 }, 't-2');
    await app.settle();
    const reply = await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger`, { token: ADMIN_KEY });
    expect(reply.status).toBe(200);
    const entries = reply.body.entries;
    expect(entries.map((e: { type: string; credits: number; balanceAfter: number }) => [e.type, e.credits, e.balanceAfter])).toEqual([
      ['top_up', 3, 28],
      ['debit', -5, 25],
      ['debit', -10, 30],
      ['top_up', 40, 40],
    ]);
    expect(entries[2]).toMatchObject({ operation: 'report', queryId: expect.stringMatching(/^q_/) });
    expect(reply.body.nextCursor).toBeNull();
    const sum = entries.reduce((total: number, e: { credits: number }) => total + e.credits, 0);
    expect(sum).toBe(28);
  });

  it('pages with limit and cursor without gaps or repeats', async () => {
    const { accountId } = await newCustomer(app.url);
    for (let i = 1; i <= 7; i++) await topUp(accountId, { credits: i }, `p-${i}`);
    await app.settle();
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: ADMIN_KEY });
      expect(page.body.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.entries.map((e: { credits: number }) => e.credits));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'cursor=-1', 'cursor=abc', 'sort=asc'])('refuses ?%s with 400', async (query) => {
    const { accountId } = await newCustomer(app.url);
    expect((await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?${query}`, { token: ADMIN_KEY })).status).toBe(400);
  });
});

describe('spending exactly to zero', () => {
  it('a debit or query that costs exactly the balance goes through and leaves 0; the next is refused', async () => {
    const { accountId, apiKey } = await newCustomer(app.url, 17);
    const debited = await debit(accountId, { credits: 7, operation: 'ingest' }, 'to-zero-1');
    expect(debited.status).toBe(201);
    expect(debited.body.balance.available).toBe(10);
    const query = await call(app.url, 'POST', '/v1/queries', { token: apiKey, body: { operation: 'report' } });
    expect(query.status).toBe(200);
    expect(query.headers.get('credits-remaining')).toBe('0');
    expect((await call(app.url, 'POST', '/v1/queries', { token: apiKey, body: { operation: 'search', input: { q: 'x' } } })).status).toBe(402);
    expect((await debit(accountId, { credits: 1, operation: 'ingest' }, 'to-zero-2')).status).toBe(402);
  });
});
