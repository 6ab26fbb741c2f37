import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DeleteTableCommand, DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HttpEvent, HttpResult } from '../../functions/http/types.ts';
import { PROJECTION_SKEW_MS } from '../../functions/metering/charge-taken.ts';
import { meter } from '../../functions/metering/meter.ts';
import { sweep } from '../../functions/metering/sweeper.ts';
import { resetConfig } from '../../functions/shared/config.ts';
import { keys } from '../../functions/table/keys.ts';
import { ensureTable, localCredentials, localRegion } from '../../local/dynamodb-local.ts';
import { type Gateway, loadLambdas, startGateway } from '../../local/gateway.ts';
import { freePort } from '../../local/ports.ts';
import { type StreamLambda, StreamPoller } from '../../local/stream-poller.ts';
import { ADMIN_KEY, LINK_SECRET } from '../support/app.ts';
import { call, newCustomer, type Reply } from '../support/http.ts';
import { apiEvent } from '../support/lambda-run.ts';
import { type CutMode, DynamoDbProxy } from './dynamodb-proxy.ts';

/**
 * DynamoDB taken away at every point of a request. The handlers in this file (their own module
 * instance: config and the SDK client are read once) reach DynamoDB Local through a proxy that
 * can refuse connections from the k-th call on. A 503 must carry Retry-After and never claim
 * "nothing was charged" when it cannot know; a retry with the same Idempotency-Key once DynamoDB
 * is back must deliver the work and charge exactly once.
 */

let proxy: DynamoDbProxy;
let gateway: Gateway;
let client: DynamoDBClient;
let tableName: string;
let streamHandler: StreamLambda;

beforeAll(async () => {
  const endpoint = inject('dynamoDbEndpoint');
  proxy = new DynamoDbProxy(endpoint);
  await proxy.start();
  tableName = `tollgate-test-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  Object.assign(process.env, {
    TOLLGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LINK_SIGNING_SECRET: LINK_SECRET,
    // A charge left running by a failed request may be taken over by its retry after 1 s.
    METERED_WORK_TIMEOUT_SECONDS: '1',
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: proxy.url,
    SES_ENDPOINT: inject('sesUrl'),
    TOLLGATE_ADMIN_KEY: ADMIN_KEY,
    AWS_REGION: 'local',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
  });
  resetConfig();
  client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  await ensureTable(client, tableName);
  gateway = await startGateway({ port, lambdas: await loadLambdas() });
  streamHandler = (await import('../../functions/streams/handler.ts')).handler as StreamLambda;
});

afterAll(async () => {
  delete process.env.METERED_WORK_TIMEOUT_SECONDS;
  await gateway?.stop();
  await proxy?.stop();
  await client?.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
  client?.destroy();
});

/** The account's partition (account item and txn records), read around the proxy. */
async function partition(accountId: string) {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `ACCOUNT#${accountId}` } },
      ConsistentRead: true,
    }),
  );
  const items = Items.map((item) => unmarshall(item));
  const account = items.find((item) => item.sk === 'ACCOUNT');
  return { balance: account?.balance as number, seq: account?.seq as number, txns: items.filter((item) => String(item.sk).startsWith('TXN#')) };
}

// The stream consumer runs only between requests, so that the cuts count the request's own calls.
const checkpointFile = join(tmpdir(), `tollgate-unavailable-${randomBytes(4).toString('hex')}.json`);
afterAll(() => rmSync(checkpointFile, { force: true }));
async function projectLedger(): Promise<void> {
  const poller = new StreamPoller({ client, endpoint: inject('dynamoDbEndpoint'), tableName, handler: streamHandler, intervalMs: 50, checkpointFile });
  poller.start();
  await poller.drain();
  await poller.stop();
}

/** A search by this key's customer with an Idempotency-Key: the keyed request the tests below interrupt. */
const keyedSearch = (apiKey: string, idempotencyKey: string) =>
  call(gateway.url, 'POST', '/v1/queries', { token: apiKey, body: { operation: 'search', input: { q: 'bolt' } }, idempotencyKey });

function expectUnavailable(reply: Reply) {
  expect(reply.status).toBe(503);
  expect(reply.headers.get('content-type')).toBe('application/problem+json');
  expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(reply.body).toMatchObject({ status: 503, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
}

describe('DynamoDB unreachable for the whole request', () => {
  it.each([
    ['a metered query', 'query'],
    ['an admin debit', 'debit'],
    ['a top-up', 'topUp'],
    ['a resume', 'resume'],
  ] as const)('%s → 503 problem+json with Retry-After, nothing changed', async (_, kind) => {
    const customer = await newCustomer(gateway.url, 5);
    const parked = await call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } });
    expect(parked.status).toBe(402);
    const before = await partition(customer.accountId);
    await proxy.down();
    try {
      const requests = {
        query: () =>
          call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } }, idempotencyKey: 'k' }),
        debit: () =>
          call(gateway.url, 'POST', `/v1/accounts/${customer.accountId}/debits`, {
            token: ADMIN_KEY,
            body: { credits: 1, operation: 'search' },
            idempotencyKey: 'k',
          }),
        topUp: () => call(gateway.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 7 }, idempotencyKey: 'k' }),
        resume: () => call(gateway.url, 'POST', `/v1/queries/${parked.body.query.id}/resume`, { token: customer.apiKey }),
      };
      const reply = await requests[kind]();
      expectUnavailable(reply);
      // Retrying under the same key is the advice only where the request carried one (a resume has none).
      if (kind === 'resume') expect(reply.body.detail).not.toMatch(/Idempotency-Key:/);
      else expect(reply.body.detail).toMatch(/Retry it with the same Idempotency-Key/);
    } finally {
      await proxy.up();
    }
    expect(await partition(customer.accountId)).toEqual(before);
  });
});

// A warm keyed query makes these calls: PutItem (its txn record, running), UpdateItem (the debit,
// returning the balance it left), UpdateItem (store the answer). Cut DynamoDB at each, before it
// is applied and after it is applied but with its answer lost.
const cuts: [number, CutMode][] = [1, 2, 3].flatMap((k) => [
  [k, 'before'],
  [k, 'after'],
]);

describe('meter() in a platform team’s own Lambda, with no error middleware of its own', () => {
  const team = middy<HttpEvent, HttpResult, Error, Context>()
    .use(meter({ price: 'search' }))
    .handler(async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"thumbnail":"ok"}' }));
  const invoke = (apiKey: string, idempotencyKey?: string) =>
    team(apiEvent({ method: 'POST', path: '/v1/thumbnails', token: apiKey, body: {}, idempotencyKey }), {} as Context);

  it('answers 503 problem+json with Retry-After, not an unhandled error (a 500), whether the key owner is cached or not', async () => {
    const warm = await newCustomer(gateway.url, 5);
    const cold = await newCustomer(gateway.url, 5);
    expect((await invoke(warm.apiKey)).statusCode).toBe(200); // caches the key's owner in this container
    await proxy.down();
    let replies: HttpResult[];
    try {
      replies = [await invoke(warm.apiKey), await invoke(warm.apiKey, 'k'), await invoke(cold.apiKey)];
    } finally {
      await proxy.up();
    }
    for (const [i, reply] of replies.entries()) {
      expect(reply.statusCode, `reply ${i}`).toBe(503);
      expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
      expect(reply.headers?.['Retry-After']).toMatch(/^\d+$/);
    }
    const detail = (reply: HttpResult) => (JSON.parse(String(reply.body)) as { detail: string }).detail;
    expect(detail(replies[1]!)).toMatch(/Retry it with the same Idempotency-Key/);
    expect(detail(replies[0]!)).toMatch(/refunded automatically within about 20 minutes/);
  });
});

describe('the balance a keyed charge answers with', () => {
  it('is the one its own debit left, from the debit’s new image: no read, even when another debit lands during the work', async () => {
    const customer = await newCustomer(gateway.url, 5);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey }); // caches the key's owner
    const from = proxy.calls.length;
    let during: string[] = [];
    const team = middy<HttpEvent, HttpResult, Error, Context>()
      .use(meter({ price: 'search' }))
      .handler(async () => {
        during = proxy.calls.slice(from);
        // Another request of the same account is charged while this one works.
        expect((await call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'x' } } })).status).toBe(200);
        return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"thumbnail":"ok"}' };
      });
    const reply = await team(
      apiEvent({ method: 'POST', path: '/v1/thumbnails', token: customer.apiKey, body: {}, idempotencyKey: 'own-image' }),
      {} as Context,
    );
    // The record, then the debit, before the work; nothing is read.
    expect(during).toEqual(['PutItem', 'UpdateItem']);
    expect(reply).toMatchObject({ statusCode: 200, headers: { 'Credits-Charged': '1', 'Credits-Remaining': '4' } });
    expect(proxy.calls.slice(from).filter((name) => name === 'GetItem')).toEqual([]);
    expect((await partition(customer.accountId)).balance).toBe(3);
  });
});

describe('a keyed charge abandoned before its debit, after which the account changed', () => {
  it('is not taken over while the ledger cannot tell whether it was debited (409), then is, and charged once', async () => {
    const customer = await newCustomer(gateway.url, 5);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
    await projectLedger();
    const send = () =>
      call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } }, idempotencyKey: 'undecided' });
    // The record is written, its answer lost: the request ends there, with no debit.
    proxy.cutAt(1, 'after');
    try {
      expectUnavailable(await send());
    } finally {
      await proxy.up();
    }
    // Another charge of the account, not yet in the ledger: the account alone cannot tell which debits happened.
    expect((await call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'x' } } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const early = await send();
    expect(early.status).toBe(409);
    expect(early.headers.get('retry-after')).toBe('2');
    expect((await partition(customer.accountId)).balance).toBe(4);
    await projectLedger();
    const retry = await send();
    expect(retry.status).toBe(200);
    expect(retry.headers.get('credits-remaining')).toBe('3');
    const settled = await partition(customer.accountId);
    expect(settled.balance).toBe(3);
    expect(settled.txns.filter((txn) => txn.kind === 'query').map((txn) => txn.status)).toEqual(['completed', 'completed']);
  });
});

describe('a keyed charge abandoned before its debit, on an account whose older ledger is not needed', () => {
  it('is taken over from the entries projected since its record: those projected before it cannot be its debit', async () => {
    const customer = await newCustomer(gateway.url, 5);
    const search = (idempotencyKey?: string) =>
      call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } }, idempotencyKey });
    expect((await search()).status).toBe(200);
    expect((await search()).status).toBe(200);
    await projectLedger();
    // Entries 1–3 were projected more than PROJECTION_SKEW_MS (a minute) before the record: stamped so, not waited for.
    const longBefore = new Date(Date.now() - 2 * PROJECTION_SKEW_MS).toISOString();
    for (const seq of [1, 2, 3])
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: marshall(keys.ledgerEntry(customer.accountId, seq)),
          UpdateExpression: 'SET projectedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: marshall({ ':at': longBefore }),
        }),
      );
    // The record is written and its answer lost: no debit.
    proxy.cutAt(1, 'after');
    try {
      expectUnavailable(await search('bounded'));
    } finally {
      await proxy.up();
    }
    expect((await search()).status).toBe(200);
    await projectLedger();
    // Entries 1 and 2 (the top-up and the first charge) are gone, as if the 15 minutes before the record held
    // thousands: the walk stops at entry 3, projected before the record, and never needs them. Read by the
    // change times alone, all three are within those 15 minutes, and the gap below entry 3 would leave it unknown (409).
    for (const seq of [1, 2]) await client.send(new DeleteItemCommand({ TableName: tableName, Key: marshall(keys.ledgerEntry(customer.accountId, seq)) }));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const retry = await search('bounded');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('credits-remaining')).toBe('1');
    expect((await partition(customer.accountId)).balance).toBe(1);
  });
});

describe('a keyed charge refused for its key, retried under the same Idempotency-Key with a new key', () => {
  it('starts afresh at once, not after the work timeout, and is charged once: the refusal left no record', async () => {
    const customer = await newCustomer(gateway.url, 5);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey }); // caches the key's owner
    const revoked = await call(gateway.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${customer.keyId}`, { token: ADMIN_KEY });
    expect(revoked.status).toBe(204);
    const send = (token: string) =>
      call(gateway.url, 'POST', '/v1/queries', { token, body: { operation: 'search', input: { q: 'bolt' } }, idempotencyKey: 'rotated' });
    // The cached owner lets the request reach the debit, whose own condition refuses the revoked key.
    expect((await send(customer.apiKey)).status).toBe(401);
    expect((await partition(customer.accountId)).txns.filter((txn) => txn.kind === 'query')).toEqual([]);
    const key = await call(gateway.url, 'POST', `/v1/accounts/${customer.accountId}/keys`, { token: ADMIN_KEY, body: { name: 'rotated' } });
    const retry = await send(key.body.key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('credits-remaining')).toBe('4');
    const settled = await partition(customer.accountId);
    expect(settled.balance).toBe(4);
    expect(settled.txns.filter((txn) => txn.kind === 'query')).toMatchObject([{ status: 'completed' }]);
  });
});

describe('a keyed debit DynamoDB keeps throttling', () => {
  it('is not sent after half the work timeout: its record is removed, nothing is charged, and the retry charges once', async () => {
    const customer = await newCustomer(gateway.url, 5);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
    const before = await partition(customer.accountId);
    const send = () => keyedSearch(customer.apiKey, 'throttled');
    const from = proxy.calls.length;
    proxy.throttle('UpdateItem');
    let refused: Reply;
    try {
      refused = await send();
    } finally {
      await proxy.up();
    }
    expectUnavailable(refused);
    const sent = proxy.calls.slice(from).map((operation, i) => ({ operation, at: proxy.arrivals[from + i]! }));
    const recorded = sent.find((call) => call.operation === 'PutItem')!.at;
    const debitsSent = sent.filter((call) => call.operation === 'UpdateItem').map((call) => call.at);
    expect(debitsSent.length).toBeGreaterThan(0);
    // A retry may take the charge over once the work timeout (1 s here) has passed since its record was written,
    // deciding from the ledger that it was not debited: no debit of the first attempt may reach DynamoDB after that.
    expect(Math.max(...debitsSent) - recorded).toBeLessThan(1000);
    const after = await partition(customer.accountId);
    expect(after.balance).toBe(before.balance);
    expect(after.txns.filter((txn) => txn.kind === 'query')).toEqual([]);
    const retry = await send();
    expect(retry.status).toBe(200);
    expect((await partition(customer.accountId)).balance).toBe(before.balance - 1);
  }, 30_000);
});

describe('a 402 whose usage summary cannot be read in time', () => {
  it('is still the 402, every way forward in it, without `usage` (not a 503 for a refusal already decided)', async () => {
    const customer = await newCustomer(gateway.url, 1);
    // Every Query (the ledger behind "where the credits went") is throttled; the debit, the parked record and the rest pass.
    proxy.throttle('Query');
    let refused: Reply;
    try {
      refused = await call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } });
    } finally {
      await proxy.up();
    }
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ balance: { available: 1, required: 10, shortfall: 9 }, query: { status: 'parked' } });
    expect(refused.body.usage).toBeUndefined();
    expect(refused.body.actions.map((action: { id: string }) => action.id)).toEqual(expect.arrayContaining(['top_up', 'view_usage', 'resume']));
    // With the ledger readable again, the next refusal shows where the credits went.
    const again = await call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } });
    expect(again.status).toBe(402);
    expect(again.body.usage).toMatchObject({ total: expect.any(Number) });
  }, 30_000);
});

describe('DynamoDB lost in the middle of a metered query', () => {
  it('a warm keyed query makes the three calls the cuts below aim at', async () => {
    const customer = await newCustomer(gateway.url, 5);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
    const from = proxy.calls.length;
    const reply = await call(gateway.url, 'POST', '/v1/queries', {
      token: customer.apiKey,
      body: { operation: 'search', input: { q: 'bolt' } },
      idempotencyKey: 'three-calls',
    });
    expect(reply.status).toBe(200);
    expect(proxy.calls.slice(from)).toEqual(['PutItem', 'UpdateItem', 'UpdateItem']);
  });

  for (const [k, mode] of cuts) {
    it(`call ${k} lost ${mode} it is applied → honest 503; the retry delivers and charges once`, async () => {
      const customer = await newCustomer(gateway.url, 5);
      await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey }); // caches the key's owner
      const before = await partition(customer.accountId);
      const send = () =>
        call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } }, idempotencyKey: 'once' });
      proxy.cutAt(k, mode);
      let first: Reply;
      try {
        first = await send();
      } finally {
        await proxy.up();
      }
      const after = await partition(customer.accountId);
      expectUnavailable(first);
      // Once the charge committed, DynamoDB being gone means it cannot be refunded in this request: the
      // 503 must not claim otherwise, and the charge is at most the one price.
      expect(first.body.detail).not.toMatch(/nothing was charged/i);
      expect([before.balance, before.balance - 1]).toContain(after.balance);
      // The client does what Retry-After says: waits, then the same request with the same key. Whether an abandoned
      // charge was debited is read from the ledger, which the stream keeps (here, between requests).
      await new Promise((resolve) => setTimeout(resolve, Number(first.headers.get('retry-after') ?? 1) * 1000));
      await projectLedger();
      const retry = await send();
      expect(retry.status).toBe(200);
      const settled = await partition(customer.accountId);
      expect(settled.balance).toBe(before.balance - 1);
      expect(settled.seq).toBe(before.seq + 1);
    });

    it(`call ${k} lost ${mode} it is applied, never retried → the sweeper leaves a charge only if its answer was recorded`, async () => {
      const customer = await newCustomer(gateway.url, 5);
      await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
      const before = await partition(customer.accountId);
      proxy.cutAt(k, mode);
      try {
        expectUnavailable(
          await call(gateway.url, 'POST', '/v1/queries', {
            token: customer.apiKey,
            body: { operation: 'search', input: { q: 'bolt' } },
            idempotencyKey: 'abandoned',
          }),
        );
      } finally {
        await proxy.up();
      }
      await projectLedger();
      const later = { now: () => new Date(Date.now() + 16 * 60_000) };
      const swept = await sweep(later);
      const settled = await partition(customer.accountId);
      const delivered = k === 3 && mode === 'after';
      // Debited (call 2 applied) and undelivered: refunded. Never debited (the record's write is all that applied): removed.
      const debited = k === 3 || (k === 2 && mode === 'after');
      const recorded = k > 1 || mode === 'after';
      expect(swept).toMatchObject({ refunded: debited && !delivered ? 1 : 0, dropped: recorded && !debited ? 1 : 0 });
      expect(settled.balance).toBe(before.balance - (delivered ? 1 : 0));
      expect(settled.txns.filter((txn) => txn.kind === 'query').map((txn) => txn.status)).toEqual(delivered ? ['completed'] : debited ? ['failed'] : []);
      expect(await sweep(later)).toMatchObject({ refunded: 0, dropped: 0 });
    });
  }

  // The SDK sends a call again when its connection dies after the write (the proxy's 'answer-lost'): the resent
  // write is refused by its own condition, and the request must recognise its own work, not take it for another's.
  it("the record's Put applied and its answer lost: the SDK sends it again, and the request knows its own record and charges once", async () => {
    const customer = await newCustomer(gateway.url, 5);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
    const before = await partition(customer.accountId);
    const from = proxy.calls.length;
    proxy.cutAt(1, 'answer-lost');
    const reply = await keyedSearch(customer.apiKey, 'put-sent-twice');
    await proxy.up();
    expect(reply.status).toBe(200);
    expect(proxy.calls.slice(from)).toEqual(['PutItem', 'PutItem', 'UpdateItem', 'UpdateItem']);
    const settled = await partition(customer.accountId);
    expect(settled.balance).toBe(before.balance - 1);
    expect(settled.txns.filter((txn) => txn.kind === 'query').map((txn) => txn.status)).toEqual(['completed']);
  });

  it('a refusal for credits whose answer was lost and sent again by the SDK is still the 402, its query parked once', async () => {
    const customer = await newCustomer(gateway.url, 0);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
    const from = proxy.calls.length;
    // Calls: the record's Put, the debit (refused for credits), the record moved to parked: its answer is lost.
    proxy.cutAt(3, 'answer-lost');
    const reply = await keyedSearch(customer.apiKey, 'parked-twice');
    await proxy.up();
    expect(reply.status).toBe(402);
    expect(proxy.calls.slice(from, from + 4)).toEqual(['PutItem', 'UpdateItem', 'UpdateItem', 'UpdateItem']);
    const settled = await partition(customer.accountId);
    expect(settled.balance).toBe(0);
    expect(settled.txns.filter((txn) => txn.kind === 'query').map((txn) => txn.status)).toEqual(['parked']);
  });

  it("a sharded account's charge whose transaction arrives after its retry took it over is refused by the claim: charged once", async () => {
    const customer = await newCustomer(gateway.url, 10);
    expect((await call(gateway.url, 'PATCH', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY, body: { shards: 2 } })).status).toBe(200);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
    // The retry reads from the ledger whether the first attempt was charged: it is projected up to now.
    await projectLedger();
    const available = async () => (await call(gateway.url, 'GET', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY })).body.balance.available;
    const before = await available();
    const send = () => keyedSearch(customer.apiKey, 'slow-first');
    // The first attempt's debit (the transaction that marks its record debited) is held on the way to DynamoDB.
    const firstDebit = proxy.holdNext('TransactWriteItems');
    const first = send();
    await firstDebit.reached;
    // Past the work timeout (1 s here) its retry takes the charge over (the record says not debited) and sends its
    // own debit, held too; the first attempt's arrives in between, after the retry's claim.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const retryDebit = proxy.holdNext('TransactWriteItems');
    const retry = send();
    await retryDebit.reached;
    firstDebit.release();
    // Conditioned on the record as the first attempt wrote it, which the claim changed: refused, nothing debited.
    expect((await first).status).toBe(409);
    retryDebit.release();
    expect((await retry).status).toBe(200);
    await proxy.up();
    expect(await available()).toBe(before - 1);
    const settled = await partition(customer.accountId);
    expect(settled.txns.filter((txn) => txn.kind === 'query').map((txn) => [txn.status, txn.debited])).toEqual([['completed', true]]);
  });
});

// A warm key-less query makes two calls: UpdateItem (the debit, returning the balance it left) and
// PutItem (its txn record, completed with the answer). No retry can reach the same charge, so a
// charge whose answer is not recorded is refunded by the sweeper, found by its ledger entry.
describe('DynamoDB lost in the middle of a key-less metered query', () => {
  it('a warm key-less query makes the two calls the cuts below aim at, and no read of the balance', async () => {
    const customer = await newCustomer(gateway.url, 5);
    await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
    const from = proxy.calls.length;
    const reply = await call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('credits-remaining')).toBe('4');
    expect(proxy.calls.slice(from)).toEqual(['UpdateItem', 'PutItem']);
  });

  for (const [k, mode] of [1, 2].flatMap((n) => [[n, 'before'] as const, [n, 'after'] as const])) {
    it(`call ${k} lost ${mode} it is applied → honest 503; charged in the end only if its answer was recorded`, async () => {
      const customer = await newCustomer(gateway.url, 5);
      await call(gateway.url, 'GET', '/v1/balance', { token: customer.apiKey });
      const before = await partition(customer.accountId);
      proxy.cutAt(k, mode);
      let first: Reply;
      try {
        first = await call(gateway.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } } });
      } finally {
        await proxy.up();
      }
      expectUnavailable(first);
      expect(first.body.detail).not.toMatch(/nothing was charged/i);
      // No key was sent, so there is none to retry under: the answer says how a charge without its work is settled.
      expect(first.body.detail).not.toMatch(/same Idempotency-Key/);
      expect(first.body.detail).toMatch(/refunded automatically within about 20 minutes/);
      expect([before.balance, before.balance - 1]).toContain((await partition(customer.accountId)).balance);
      await projectLedger();
      const later = { now: () => new Date(Date.now() + 16 * 60_000) };
      await sweep(later);
      const settled = await partition(customer.accountId);
      const completed = settled.txns.filter((txn) => txn.kind === 'query' && txn.status === 'completed');
      // The only charge that stands is one whose work was delivered and recorded (call 2 applied, its answer lost).
      expect(completed).toHaveLength(k === 2 && mode === 'after' ? 1 : 0);
      expect(settled.balance).toBe(before.balance - completed.length);
      expect((await sweep(later)).refunded).toBe(0);
    });
  }
});
