import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/table/keys.ts';
import { ADMIN_KEY, startIsolatedTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

// Its own DynamoDB Local, as the concurrency tests: hundreds of racing writes on one account.
let app: TestApp;
beforeAll(async () => {
  app = await startIsolatedTestApp();
});
afterAll(() => app.stop());

const documents = () => DynamoDBDocumentClient.from(app.client);
const setShards = (accountId: string, shards: unknown) => call(app.url, 'PATCH', `/v1/accounts/${accountId}`, { token: ADMIN_KEY, body: { shards } });
const totalOf = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body.balance.available as number;
const query = (apiKey: string, q = 'bolt', idempotencyKey?: string) =>
  call(app.url, 'POST', '/v1/queries', { token: apiKey, idempotencyKey, body: { operation: 'search', input: { q } } });

async function shardBalances(accountId: string, slots: number) {
  const items = await Promise.all(
    Array.from({ length: slots }, (_, shard) =>
      documents().send(new GetCommand({ TableName: app.tableName, Key: keys.balanceShard(accountId, shard), ConsistentRead: true })),
    ),
  );
  return items.map(({ Item }) => ({ balance: Item?.balance as number, open: Item?.open as boolean }));
}

/** Every ledger entry of the account, its sub-balances' included (read straight from the table). */
async function allLedgerEntries(accountId: string) {
  await app.settle();
  const { Items = [] } = await documents().send(
    new ScanCommand({
      TableName: app.tableName,
      FilterExpression: 'entity = :ledger AND accountId = :id',
      ExpressionAttributeValues: { ':ledger': 'ledger', ':id': accountId },
    }),
  );
  return Items as { credits: number; type: string; id: string }[];
}

describe('sharded balances', () => {
  it('splits the credits over N sub-balances and shows the exact total everywhere', async () => {
    const customer = await newCustomer(app.url, 1000);
    const patched = await setShards(customer.accountId, 4);
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ shards: 4, balance: { available: 1000 } });
    expect(await shardBalances(customer.accountId, 4)).toEqual(Array.from({ length: 4 }, () => ({ balance: 250, open: true })));
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => query(customer.apiKey, `q${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 30 }, () => 200));
    expect(await totalOf(customer.accountId)).toBe(970);
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(970);
    // A keyed charge (a transaction on the account item) finds the credits in the sub-balances too.
    const keyed = await query(customer.apiKey, 'keyed', 'keyed-1');
    expect(keyed.status).toBe(200);
    expect(await totalOf(customer.accountId)).toBe(969);
    const ledger = await allLedgerEntries(customer.accountId);
    expect(ledger.reduce((sum, entry) => sum + entry.credits, 0)).toBe(969);
    expect(ledger.filter((entry) => entry.type === 'debit')).toHaveLength(31);
  });

  it('answers 402 only when the total is short: exactly the credits are spent, to zero', async () => {
    const customer = await newCustomer(app.url, 120);
    await setShards(customer.accountId, 8);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => query(customer.apiKey, `spend-${i}`)));
    const statuses = answers.map((a) => a.status);
    const others = answers.filter((a) => a.status !== 200 && a.status !== 402).map((a) => `${a.status} ${a.text.slice(0, 160)}`);
    expect(others, others.join(' | ')).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(120);
    expect(statuses.filter((s) => s === 402)).toHaveLength(80);
    expect(await totalOf(customer.accountId)).toBe(0);
    // Each 402 shows the account's total, never one sub-balance's: all of them came once the total was 0.
    const refusals = answers.filter((a) => a.status === 402);
    expect(refusals.every((a) => a.body.balance?.available === 0)).toBe(true);
  });

  it('changes N online, up and down and back to 1, without losing or doubling a debit', async () => {
    const customer = await newCustomer(app.url, 5000);
    await setShards(customer.accountId, 16);
    let ok = 0;
    const load = (async () => {
      const rounds = await Promise.all(
        Array.from({ length: 8 }, async (_, client) => {
          let mine = 0;
          for (let i = 0; i < 40; i++) {
            const answer = await query(customer.apiKey, `online-${client}-${i}`);
            // Every query is served while the count changes: debits never meet a sub-balance left closed.
            expect(answer.status, answer.text).toBe(200);
            mine++;
          }
          return mine;
        }),
      );
      ok = rounds.reduce((a, b) => a + b, 0);
    })();
    for (const n of [3, 64, 1, 8, 2]) expect((await setShards(customer.accountId, n)).status).toBe(200);
    await load;
    expect(ok).toBeGreaterThan(0);
    expect(await totalOf(customer.accountId)).toBe(5000 - ok);
    const ledger = await allLedgerEntries(customer.accountId);
    expect(ledger.reduce((sum, entry) => sum + entry.credits, 0)).toBe(5000 - ok);
    expect(ledger.filter((entry) => entry.type === 'debit')).toHaveLength(ok);
    // Sub-balances no longer used are closed and empty.
    const shards = await shardBalances(customer.accountId, 64);
    expect(shards.slice(2).every((shard) => !shard.open && shard.balance === 0)).toBe(true);
  });

  it('runs racing shard changes one at a time: debits always find open sub-balances', async () => {
    const customer = await newCustomer(app.url, 0);
    expect((await setShards(customer.accountId, 2)).status).toBe(200);
    for (const counts of [
      [1, 2],
      [4, 1, 3],
      [2, 16, 1, 5],
    ]) {
      const changes = await Promise.all(counts.map((n) => setShards(customer.accountId, n)));
      expect(changes.map((change) => change.status)).toEqual(counts.map(() => 200));
      const { Item: home } = await documents().send(new GetCommand({ TableName: app.tableName, Key: keys.account(customer.accountId), ConsistentRead: true }));
      // The last change to run decided the count; every sub-balance below it is open, every other one closed, and the lease is gone.
      const n = (home?.shards as number | undefined) ?? 1;
      expect(counts).toContain(n);
      expect(home?.shardChange).toBeUndefined();
      const shards = await shardBalances(customer.accountId, home?.shardSlots ?? 0);
      expect(shards.map((shard) => shard.open)).toEqual(shards.map((_, shard) => n > 1 && shard < n));
      // Empty: a 402, not a 503; then every credit of a top-up is spendable.
      expect((await query(customer.apiKey, `empty-${n}`)).status).toBe(402);
      const topUp = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, {
        token: ADMIN_KEY,
        body: { credits: 6 },
        idempotencyKey: `race-${counts.join('-')}`,
      });
      expect(topUp.status).toBe(201);
      const spent = await Promise.all(Array.from({ length: 6 }, (_, i) => query(customer.apiKey, `race-${counts.join('-')}-${i}`)));
      expect(spent.map((answer) => answer.status)).toEqual(spent.map(() => 200));
    }
  });

  it('keeps key-less refusals off the account’s key, and resumes them by hand or on top-up', async () => {
    const customer = await newCustomer(app.url, 0);
    await setShards(customer.accountId, 4);
    await call(app.url, 'PATCH', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY, body: { autoResume: true } });
    const parked: string[] = [];
    for (const q of ['first', 'second']) {
      const refused = await query(customer.apiKey, q);
      expect(refused.status).toBe(402);
      parked.push(refused.body.query.id);
    }
    for (const id of parked) {
      const at = (Key: Record<string, string>) => documents().send(new GetCommand({ TableName: app.tableName, Key, ConsistentRead: true }));
      expect((await at(keys.txn(customer.accountId, id))).Item).toBeUndefined();
      expect((await at(keys.spreadTxn(customer.accountId, id))).Item).toMatchObject({ status: 'parked', response: { statusCode: 402 } });
    }
    const topUp = (credits: number, id: string) =>
      call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits }, idempotencyKey: id });
    const statusOf = async (id: string) => (await call(app.url, 'GET', `/v1/queries/${id}`, { token: customer.apiKey })).body.status;
    await topUp(1, 'resume-1');
    await app.settle();
    // Auto-resume found the oldest on the spread keys and ran it; the second waits for credits.
    expect([await statusOf(parked[0]!), await statusOf(parked[1]!)]).toEqual(['completed', 'parked']);
    await call(app.url, 'PATCH', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY, body: { autoResume: false } });
    await topUp(3, 'resume-2');
    const resumed = await Promise.all([1, 2].map(() => call(app.url, 'POST', `/v1/queries/${parked[1]}/resume`, { token: customer.apiKey })));
    expect(resumed.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await statusOf(parked[1]!)).toBe('completed');
    expect(await totalOf(customer.accountId)).toBe(2);
  });

  it('lists one merged ledger: every change once, newest first, balanceAfter the running total, paged without gaps', async () => {
    const customer = await newCustomer(app.url, 100);
    await setShards(customer.accountId, 4);
    const spend = (label: string, count: number) => Promise.all(Array.from({ length: count }, (_, i) => query(customer.apiKey, `${label}-${i}`)));
    await spend('merged-a', 40); // drains some sub-balances: credits are gathered (transfers)
    expect((await query(customer.apiKey, 'merged-keyed', 'merged-keyed')).status).toBe(200);
    await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 30 }, idempotencyKey: 'merged-top' });
    await setShards(customer.accountId, 2);
    await spend('merged-b', 25);
    const total = await totalOf(customer.accountId);
    await app.settle();
    const entries: { id: string; type: string; credits: number; balanceAfter: number; at: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(app.url, 'GET', `/v1/accounts/${customer.accountId}/ledger?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: ADMIN_KEY });
      expect(page.status).toBe(200);
      expect(page.body.entries.length).toBeLessThanOrEqual(7);
      entries.push(...page.body.entries);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(entries.some((entry) => entry.type === 'transfer')).toBe(false);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    expect(entries.filter((entry) => entry.type === 'debit')).toHaveLength(66);
    expect(entries.reduce((sum, entry) => sum + entry.credits, 0)).toBe(total);
    expect(entries[0]?.balanceAfter).toBe(total);
    // Read as one ledger: each entry's balance before it is the next (older) entry's balance after.
    expect(entries.map((entry) => entry.balanceAfter - entry.credits)).toEqual([...entries.slice(1).map((entry) => entry.balanceAfter), 0]);
    const foreign = await call(app.url, 'GET', `/v1/accounts/${customer.accountId}/ledger?cursor=12`, { token: ADMIN_KEY });
    expect(foreign.status).toBe(400);
    expect(foreign.text).toContain('cursor');
  });

  it('revokes a key at once on every sub-balance, and new keys work on them', async () => {
    const customer = await newCustomer(app.url, 100);
    await setShards(customer.accountId, 4);
    expect((await query(customer.apiKey)).status).toBe(200);
    const revoked = await call(app.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${customer.keyId}`, { token: ADMIN_KEY });
    expect(revoked.status).toBe(204);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => query(customer.apiKey, `revoked-${i}`)));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 8 }, () => 401));
    const key = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/keys`, { token: ADMIN_KEY, body: { name: 'second' } });
    const fresh = await Promise.all(Array.from({ length: 8 }, (_, i) => query(key.body.key, `fresh-${i}`)));
    expect(fresh.map((a) => a.status)).toEqual(Array.from({ length: 8 }, () => 200));
    expect(await totalOf(customer.accountId)).toBe(91);
  });

  it('spreads a top-up over the sub-balances', async () => {
    const customer = await newCustomer(app.url, 0);
    await setShards(customer.accountId, 4);
    const topUp = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, {
      token: ADMIN_KEY,
      body: { credits: 402 },
      idempotencyKey: 'spread-1',
    });
    expect(topUp.status).toBe(201);
    expect((await shardBalances(customer.accountId, 4)).map((shard) => shard.balance)).toEqual([101, 101, 100, 100]);
    expect(await totalOf(customer.accountId)).toBe(402);
  });

  it('refuses a shard count outside 1–64 with a problem naming the field', async () => {
    const customer = await newCustomer(app.url, 0);
    for (const shards of [0, 65, 2.5, 'four']) {
      const answer = await setShards(customer.accountId, shards);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.text).toContain('shards');
    }
  });
});
