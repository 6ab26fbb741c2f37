import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable, localCredentials, localRegion } from '../../local/dynamodb-local.ts';
import { KeyBuckets, ThrottleProxy, throttleProxyFromEnv, unitsOf } from '../../local/throttle-proxy.ts';

describe('units per partition key', () => {
  it('bills a write per KB, transactions twice, reads ½ or 1', () => {
    const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'X' } });
    expect([...unitsOf('UpdateItem', { Key: key('A'), ExpressionAttributeValues: { ':d': { N: '1' } } }).writes]).toEqual([['A', 1]]);
    expect([...unitsOf('PutItem', { Item: { ...key('A'), body: { S: 'x'.repeat(1500) } } }).writes]).toEqual([['A', 2]]);
    const transaction = unitsOf('TransactWriteItems', {
      TransactItems: [{ Update: { Key: key('A') } }, { Put: { Item: key('A') } }, { Put: { Item: key('B') } }],
    });
    expect(Object.fromEntries(transaction.writes)).toEqual({ A: 4, B: 2 });
    expect([...unitsOf('GetItem', { Key: key('A') }).reads]).toEqual([['A', 0.5]]);
    expect([...unitsOf('GetItem', { Key: key('A'), ConsistentRead: true }).reads]).toEqual([['A', 1]]);
    const query = unitsOf('Query', {
      KeyConditionExpression: '#pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': { S: 'Q' }, ':p': { S: 'L' } },
    });
    expect([...query.reads]).toEqual([['Q', 0.5]]);
  });

  it('refills a key at its rate and takes nothing from a call it refuses', () => {
    let now = 0;
    const buckets = new KeyBuckets(10, () => now);
    for (let i = 0; i < 10; i++) expect(buckets.take(new Map([['A', 1]]))).toBe(true);
    expect(buckets.take(new Map([['A', 1]]))).toBe(false);
    // Another key has its own bucket; a call touching a full and an empty key takes from neither.
    expect(
      buckets.take(
        new Map([
          ['A', 1],
          ['B', 1],
        ]),
      ),
    ).toBe(false);
    for (let i = 0; i < 10; i++) expect(buckets.take(new Map([['B', 1]]))).toBe(true);
    now += 500;
    for (let i = 0; i < 5; i++) expect(buckets.take(new Map([['A', 1]]))).toBe(true);
    expect(buckets.take(new Map([['A', 1]]))).toBe(false);
  });
});

describe('the throttle proxy in front of DynamoDB Local, with the real SDK', () => {
  const tableName = `throttle-${randomBytes(4).toString('hex')}`;
  let proxy: ThrottleProxy;
  let direct: DynamoDBClient;

  beforeAll(async () => {
    direct = new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint'), region: localRegion, credentials: localCredentials });
    await ensureTable(direct, tableName);
    proxy = await new ThrottleProxy(inject('dynamoDbEndpoint'), { wcuPerKey: 20, rcuPerKey: 60 }).start();
  });
  afterAll(async () => {
    await proxy.stop();
    await direct.send(new DeleteTableCommand({ TableName: tableName }));
  });

  const clientVia = (maxAttempts: number) =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: proxy.endpoint, region: localRegion, credentials: localCredentials, maxAttempts }));
  const increment = (pk: string) =>
    new UpdateCommand({ TableName: tableName, Key: { pk, sk: 'C' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } });
  const countOf = async (pk: string) =>
    ((await DynamoDBDocumentClient.from(direct).send(new GetCommand({ TableName: tableName, Key: { pk, sk: 'C' } }))).Item?.n as number | undefined) ?? 0;

  it('answers a hot key as DynamoDB does, applying nothing, and leaves other keys alone', async () => {
    const client = clientVia(1);
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => client.send(increment('HOT'))));
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
    expect(refused.length).toBeGreaterThan(0);
    const error = refused[0] as ProvisionedThroughputExceededException;
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.ThrottlingReasons?.[0]?.reason).toBe('TableWriteKeyRangeThroughputExceeded');
    expect(error.ThrottlingReasons?.[0]?.resource).toContain(`table/${tableName}`);
    // Only what was admitted was applied.
    expect(await countOf('HOT')).toBe(60 - refused.length);
    // A cold key is unaffected by the hot one.
    await client.send(increment('COLD'));
    expect(await countOf('COLD')).toBe(1);
  });

  it('is retried by the SDK (a throttling error), which gets through once the key refills', async () => {
    const client = clientVia(10);
    const throttledBefore = proxy.throttled.write;
    // 50 increments on a 20 WCU/s key: the SDK's backoff spreads them out until every one is applied once.
    await Promise.all(Array.from({ length: 50 }, () => client.send(increment('RETRIED'))));
    expect(proxy.throttled.write).toBeGreaterThan(throttledBefore);
    expect(await countOf('RETRIED')).toBe(50);
  });

  it('counts transactions double and throttles reads by their own limit', async () => {
    const client = clientVia(1);
    const transact = () =>
      client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: tableName, Key: { pk: 'TX', sk: 'C' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } } },
          ],
        }),
      );
    // 2 WCU each against 20 per second: about 10 pass in a burst.
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, transact));
    const passed = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(passed).toBeLessThan(16);
    expect(await countOf('TX')).toBe(passed);
    const reads = await Promise.allSettled(
      Array.from({ length: 100 }, () => client.send(new GetCommand({ TableName: tableName, Key: { pk: 'TX', sk: 'C' }, ConsistentRead: true }))),
    );
    const refused = reads.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.length).toBeGreaterThan(0);
    expect((refused[0]!.reason as ProvisionedThroughputExceededException).ThrottlingReasons?.[0]?.reason).toBe('TableReadKeyRangeThroughputExceeded');
  });
});

describe("the local stack's switch (DYNAMODB_THROTTLE_WCU_PER_KEY)", () => {
  it('starts no proxy by default, refuses a limit that is not a positive number, and starts one with the limits given', async () => {
    expect(await throttleProxyFromEnv('http://127.0.0.1:1', {})).toBeUndefined();
    await expect(throttleProxyFromEnv('http://127.0.0.1:1', { DYNAMODB_THROTTLE_WCU_PER_KEY: 'fast' })).rejects.toThrow(/DYNAMODB_THROTTLE_WCU_PER_KEY/);
    await expect(throttleProxyFromEnv('http://127.0.0.1:1', { DYNAMODB_THROTTLE_WCU_PER_KEY: '5', DYNAMODB_THROTTLE_RCU_PER_KEY: '-1' })).rejects.toThrow(
      /DYNAMODB_THROTTLE_RCU_PER_KEY/,
    );
    const proxy = await throttleProxyFromEnv(inject('dynamoDbEndpoint'), { DYNAMODB_THROTTLE_WCU_PER_KEY: '5' });
    expect(proxy?.limits).toEqual({ wcuPerKey: 5, rcuPerKey: 15 });
    await proxy?.stop();
  });
});
