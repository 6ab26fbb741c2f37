import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/**
 * The funnel from real traffic: a 402, a look at the usage, a reminder, a top-up and the resumed
 * query, each derived by the real stream consumer (or recorded by the usage page), with the stream
 * redelivered; the report of today counts each stage once.
 */
describe('funnel events from the stream and the request paths', () => {
  let app: TestApp;
  beforeAll(async () => {
    // Every batch is delivered twice: the second delivery must count nothing.
    app = await startTestApp({
      stream: (real) => async (event) => {
        await real(event);
        return real(event);
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('records wall, usageViewed, reminderSet, paid, recovered and resumed once each, and the report counts them', async () => {
    const customer = await newCustomer(app.url, 5);
    const export402 = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'export', input: { category: 'tools' } } });
    expect(export402.status).toBe(402);
    const queryId = export402.body.query.id;
    // A second refusal in the same episode is not a second wall.
    expect((await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } })).status).toBe(402);
    await app.settle();

    expect((await call(app.url, 'GET', '/v1/usage', { token: customer.apiKey })).status).toBe(200);
    expect((await call(app.url, 'GET', '/v1/usage', { token: customer.apiKey })).status).toBe(200);
    expect((await call(app.url, 'POST', '/v1/reminders', { token: customer.apiKey, body: { after: 'PT2H' } })).status).toBe(201);
    const topUp = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, {
      token: ADMIN_KEY,
      idempotencyKey: `funnel-${customer.accountId}`,
      body: { credits: 100 },
    });
    expect(topUp.status).toBe(201);
    const resumed = await call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: customer.apiKey });
    expect(resumed.status).toBe(200);
    await app.settle();
    // After the payment the episode is over: a later look is not part of it.
    expect((await call(app.url, 'GET', '/v1/usage', { token: customer.apiKey })).status).toBe(200);
    await app.settle();

    const { Items = [] } = await app.client.send(
      new QueryCommand({
        TableName: app.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': `ACCOUNT#${customer.accountId}`, ':prefix': 'FUNNEL#EP#' }),
        ConsistentRead: true,
      }),
    );
    expect(Items).toHaveLength(1);
    const episode = unmarshall(Items[0] ?? {});
    for (const stage of ['wall', 'usageViewed', 'reminderSet', 'paid', 'recovered', 'resumed']) expect(episode[`${stage}At`], stage).toBeTypeOf('string');
    for (const stage of ['warned', 'checkoutStarted', 'lapsed']) expect(episode[`${stage}At`], stage).toBeUndefined();
    expect(episode.wallAt <= episode.usageViewedAt && episode.usageViewedAt <= episode.paidAt).toBe(true);

    const today = new Date().toISOString().slice(0, 10);
    const report = await call(app.url, 'GET', `/v1/reports/recovery?from=${today}&to=${today}&groupBy=action`, { token: ADMIN_KEY });
    expect(report.status).toBe(200);
    const byKey = Object.fromEntries(report.body.groups.map((group: { key: string }) => [group.key, group]));
    expect(Object.keys(byKey).sort()).toEqual(['reminderSet', 'usageViewed']);
    expect(byKey.usageViewed).toMatchObject({
      episodes: 1,
      pending: 0,
      recovered: 1,
      recoveryRate: 1,
      revenueRecovered: [],
      stages: { wall: 1, warned: 0, usageViewed: 1, reminderSet: 1, checkoutStarted: 0, paid: 1, resumed: 1 },
    });
    expect(byKey.usageViewed.ci95[1]).toBe(1);
    expect(byKey.usageViewed.medianHoursToRecover).toBeLessThan(1);
  });
});
