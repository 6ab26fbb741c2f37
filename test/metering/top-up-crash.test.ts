import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { meteringRoutes } from '../../functions/metering/routes.ts';
import type { Clock } from '../../functions/shared/clock.ts';
import { config } from '../../functions/shared/config.ts';
import { keys } from '../../functions/table/keys.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

let app: TestApp;
/** Moves the metering handler's "now" forward, to step past the idempotency window. */
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

beforeAll(async () => {
  app = await startTestApp({ lambdas: () => ({ metering: httpHandler(meteringRoutes({ clock })) }) });
});
afterAll(() => app.stop());

const topUp = (accountId: string, credits: number, idempotencyKey: string) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/top-ups`, { token: ADMIN_KEY, body: { credits }, idempotencyKey });
const available = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body.balance.available as number;

/** What a crash between the balance transaction and saving the answer leaves: a completed txn without its answer. */
async function forgetAnswer(accountId: string, txnId: string) {
  await app.client.send(
    new UpdateItemCommand({
      TableName: app.tableName,
      Key: marshall(keys.txn(accountId, txnId)),
      UpdateExpression: 'REMOVE #response',
      ExpressionAttributeNames: { '#response': 'response' },
    }),
  );
}

describe('a top-up applied just before a crash', () => {
  it('is replayed on retry (its answer rebuilt from the txn), never 409 and never applied twice', async () => {
    const { accountId } = await newCustomer(app.url);
    const first = await topUp(accountId, 100, 'crash-1');
    expect(first.status).toBe(201);
    await forgetAnswer(accountId, first.body.id);

    const retry = await topUp(accountId, 100, 'crash-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ id: first.body.id, credits: 100, balance: { available: 100 } });
    const again = await topUp(accountId, 100, 'crash-1');
    expect(again.body).toEqual(retry.body);
    expect(await available(accountId)).toBe(100);
  });

  it('a different body with the same key is still a 422', async () => {
    const { accountId } = await newCustomer(app.url);
    const first = await topUp(accountId, 100, 'crash-2');
    await forgetAnswer(accountId, first.body.id);
    const reply = await topUp(accountId, 500, 'crash-2');
    expect(reply.status).toBe(422);
    expect(await available(accountId)).toBe(100);
  });
});

describe('after the idempotency window', () => {
  it('keeps the top-up record (no TTL), so the key can never credit twice', async () => {
    const { accountId } = await newCustomer(app.url);
    const first = await topUp(accountId, 40, 'late-1');
    const { Item } = await app.client.send(
      new GetItemCommand({ TableName: app.tableName, Key: marshall(keys.txn(accountId, first.body.id)), ConsistentRead: true }),
    );
    expect(Item).toBeDefined();
    expect(Item?.expiresAtEpoch).toBeUndefined();
  });

  it('a retry is refused with 409 naming when it was applied, and credits nothing', async () => {
    const { accountId } = await newCustomer(app.url);
    await topUp(accountId, 40, 'late-2');
    offsetMs = (config().IDEMPOTENCY_TTL_HOURS + 1) * 3_600_000;
    try {
      const late = await topUp(accountId, 40, 'late-2');
      expect(late.status).toBe(409);
      expect(late.headers.get('content-type')).toContain('application/problem+json');
      expect(late.body.detail).toContain('already credited 40 credits');
      expect(late.body.detail).toContain('new Idempotency-Key');
    } finally {
      offsetMs = 0;
    }
    expect(await available(accountId)).toBe(40);
  });
});
