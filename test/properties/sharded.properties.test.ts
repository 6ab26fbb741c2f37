import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService, type MeteredService } from '../../functions/queries/service.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { keys } from '../../functions/table/keys.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer, type Reply } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

/**
 * Generated interleavings on one sharded account: key-less and keyed queries (some whose work
 * fails after the charge and is refunded, some keyed ones sent twice at once), top-ups, and
 * changes of the shard count, in concurrent waves. After each run the money adds up from what the
 * API acknowledged, no item is negative, the merged ledger sums to the total, each key was
 * charged once, and every 402 was true: the total it showed did not cover the price.
 */

const flakyService: MeteredService = {
  ...catalogService,
  async run(operation, input) {
    const q = operation === 'search' ? (input as { q: string }).q : undefined;
    if (q?.startsWith('fail-')) throw new Error('catalogue backend unreachable');
    return catalogService.run(operation, input);
  },
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ lambdas: () => ({ queries: httpHandler(queryRoutes({ service: flakyService, pricing, clock: systemClock })) }) });
});
afterAll(async () => {
  await app.stop();
});

type Op =
  | { kind: 'query'; operation: 'search' | 'report'; fail: boolean; keyed: boolean; copies: number }
  | { kind: 'topUp'; credits: number }
  | { kind: 'shards'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('query' as const),
      operation: fc.constantFrom<'search' | 'report'>('search', 'search', 'search', 'report'),
      fail: fc.boolean(),
      keyed: fc.boolean(),
      copies: fc.integer({ min: 1, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topUp' as const), credits: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('shards' as const), n: fc.integer({ min: 1, max: 16 }) }) },
);

const priceOf = { search: 1, report: 10 } as const;

describe('sharded balances under generated interleavings', () => {
  it('never negative, ledger = total, each key charged once, no spurious 402', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 2, max: 16 }),
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        async (opening, shards, waves) => {
          run++;
          const customer = await newCustomer(app.url, opening);
          expect((await call(app.url, 'PATCH', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY, body: { shards } })).status).toBe(200);
          let expected = opening;
          let n = 0;
          for (const wave of waves) {
            const answers = await Promise.all(
              wave.map(async (op): Promise<{ op: Op; replies: Reply[] }> => {
                const id = `${run}-${n++}`;
                if (op.kind === 'topUp') {
                  const reply = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, {
                    token: ADMIN_KEY,
                    body: { credits: op.credits },
                    idempotencyKey: `top-${id}`,
                  });
                  return { op, replies: [reply] };
                }
                if (op.kind === 'shards') {
                  return { op, replies: [await call(app.url, 'PATCH', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY, body: { shards: op.n } })] };
                }
                const input = op.operation === 'search' ? { q: `${op.fail ? 'fail-' : ''}${id}` } : { groupBy: 'category' };
                const send = () =>
                  call(app.url, 'POST', '/v1/queries', {
                    token: customer.apiKey,
                    idempotencyKey: op.keyed ? `q-${id}` : undefined,
                    body: { operation: op.operation, input },
                  });
                const copies = op.keyed ? op.copies : 1;
                return { op, replies: await Promise.all(Array.from({ length: copies }, send)) };
              }),
            );
            for (const { op, replies } of answers) {
              if (op.kind === 'topUp') {
                expect(replies[0]!.status).toBe(201);
                expected += op.credits;
                continue;
              }
              if (op.kind === 'shards') {
                expect(replies[0]!.status).toBe(200);
                continue;
              }
              const price = priceOf[op.operation];
              for (const reply of replies) {
                expect([200, 402, 409, 500]).toContain(reply.status);
                // A 402 shows the exact total of a consistent snapshot: it must not cover the price.
                if (reply.status === 402) expect(reply.body.balance.available).toBeLessThan(price);
              }
              // Charged once per logical request, and only for delivered work.
              const charged = replies.filter((reply) => reply.status === 200 && !reply.headers.get('idempotent-replayed')).length;
              expect(charged).toBeLessThanOrEqual(1);
              if (charged === 1 && op.operation === 'search' && op.fail) throw new Error('failing work answered 200');
              expected -= charged * price;
            }
          }
          const account = await call(app.url, 'GET', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY });
          expect(account.body.balance.available).toBe(expected);
          expect(expected).toBeGreaterThanOrEqual(0);
          await expectItemsNonNegative(customer.accountId);
          await app.settle();
          const ledger = await ledgerOf(customer.accountId);
          expect(ledger.reduce((sum, entry) => sum + entry.credits, 0)).toBe(expected);
          const debitsById = new Map<string, number>();
          for (const entry of ledger.filter((e) => e.type === 'debit')) debitsById.set(entry.id, (debitsById.get(entry.id) ?? 0) + 1);
          expect([...debitsById.values()].every((count) => count === 1)).toBe(true);
          // Nothing spurious once quiet: whenever the total covers a search, a search is served.
          if (expected >= 1)
            expect((await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'last' } } })).status).toBe(
              200,
            );
        },
      ),
      { numRuns: 8 },
    );
    // Eight runs of up to 48 requests each on a shared 2-core machine.
  }, 300_000);
});

async function expectItemsNonNegative(accountId: string) {
  const documents = DynamoDBDocumentClient.from(app.client);
  const { Item: home } = await documents.send(new GetCommand({ TableName: app.tableName, Key: keys.account(accountId), ConsistentRead: true }));
  expect(home?.balance).toBeGreaterThanOrEqual(0);
  for (let shard = 0; shard < (home?.shardSlots ?? 0); shard++) {
    const { Item } = await documents.send(new GetCommand({ TableName: app.tableName, Key: keys.balanceShard(accountId, shard), ConsistentRead: true }));
    expect(Item?.balance).toBeGreaterThanOrEqual(0);
  }
}

/** Every ledger entry of the account and its sub-balances, read from the table. */
async function ledgerOf(accountId: string) {
  const documents = DynamoDBDocumentClient.from(app.client);
  const entries: { id: string; type: string; credits: number }[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: app.tableName,
        FilterExpression: 'entity = :ledger AND accountId = :id',
        ExpressionAttributeValues: { ':ledger': 'ledger', ':id': accountId },
        ExclusiveStartKey,
      }),
    );
    entries.push(...((page.Items ?? []) as typeof entries));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return entries;
}
