import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startIsolatedTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

// Its own DynamoDB Local: a thousand racing transactions measure Tollgate, not a Java process
// slowed by every table and stream the run's other files left behind.
let app: TestApp;
beforeAll(async () => {
  app = await startIsolatedTestApp();
});
afterAll(() => app.stop());

async function ledgerOf(accountId: string) {
  await app.settle();
  const entries: { credits: number; balanceAfter: number; type: string }[] = [];
  let cursor: string | null = null;
  do {
    const page = await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token: ADMIN_KEY });
    expect(page.status).toBe(200);
    entries.push(...page.body.entries);
    cursor = page.body.nextCursor;
  } while (cursor);
  return entries;
}

describe('concurrent debits never overdraw', () => {
  it('200 concurrent debits of 1 credit on a balance of 100: exactly 100 succeed, balance ends at 0', async () => {
    const customer = await newCustomer(app.url, 100);
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(app.url, 'POST', `/v1/accounts/${customer.accountId}/debits`, {
          token: ADMIN_KEY,
          idempotencyKey: `burst-${i}`,
          body: { credits: 1, operation: 'search' },
        }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 402)).toHaveLength(100);
    const account = await call(app.url, 'GET', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY });
    expect(account.body.balance.available).toBe(0);
    const ledger = await ledgerOf(customer.accountId);
    expect(ledger.filter((e) => e.type === 'debit')).toHaveLength(100);
    expect(ledger.reduce((sum, e) => sum + e.credits, 0)).toBe(0);
    expect(ledger[0]?.balanceAfter).toBe(0);
  });

  it('one credit and 1,000 concurrent metered queries: exactly one runs', async () => {
    const customer = await newCustomer(app.url, 1);
    const replies = await Promise.all(
      Array.from({ length: 1000 }, () => call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } } })),
    );
    const statuses = replies.map((r) => r.status);
    const others = replies.filter((r) => r.status !== 200 && r.status !== 402).map((r) => `${r.status} ${r.text.slice(0, 200)}`);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(
      statuses.filter((s) => s === 402),
      `other answers: ${others.slice(0, 3).join(' | ')}`,
    ).toHaveLength(999);
    const balance = await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey });
    expect(balance.body.available).toBe(0);
    const ledger = await ledgerOf(customer.accountId);
    expect(ledger.filter((e) => e.type === 'debit')).toHaveLength(1);
  });
});
