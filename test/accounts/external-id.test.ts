import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const create = (externalId: unknown) =>
  call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'Tenant', email: 'tenant@test.example', externalId } });
const lookUp = (query: string, token = ADMIN_KEY) => call(app.url, 'GET', `/v1/accounts${query}`, { token });

describe('accounts with the platform’s own id (externalId)', () => {
  it('creates an account with an externalId and finds it by that id', async () => {
    const created = await create('tenant|2f9c-41aa');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ externalId: 'tenant|2f9c-41aa', plan: 'free' });
    const found = await lookUp(`?externalId=${encodeURIComponent('tenant|2f9c-41aa')}`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ ...created.body, balance: { ...created.body.balance, asOf: expect.any(String) } });
  });

  it('answers an unknown externalId with a 404 problem', async () => {
    const reply = await lookUp('?externalId=nobody-here');
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body.detail).toBe('There is no account with externalId "nobody-here".');
  });

  it.each([
    ['', 'query.externalId'],
    ['?externalId=', 'query.externalId'],
    ['?externalId=has%20space', 'query.externalId'],
    ['?externalId=a&plan=free', 'query'],
  ])('refuses the look-up %s as 400 problem+json naming %s', async (query, field) => {
    const reply = await lookUp(query);
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body.detail).toContain(field);
  });

  it('is for the admin only', async () => {
    expect((await lookUp('?externalId=x', '')).status).toBe(401);
    expect((await lookUp('?externalId=x', 'tg_a-client-key')).status).toBe(403);
  });

  it.each([[''], ['a'.repeat(129)], ['tab\there'], [42]])('refuses the externalId %j on create, writing nothing', async (externalId) => {
    const reply = await create(externalId);
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toContain('body.externalId');
  });

  it('stays unique under concurrency: of 25 simultaneous creates with one externalId, exactly one succeeds', async () => {
    const externalId = `org_${Date.now()}`;
    const replies = await Promise.all(Array.from({ length: 25 }, () => create(externalId)));
    const created = replies.filter((reply) => reply.status === 201);
    const refused = replies.filter((reply) => reply.status === 409);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(24);
    const winner = created[0]?.body.id as string;
    for (const reply of refused) {
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
      expect(reply.body.detail).toBe(`externalId "${externalId}" already belongs to account "${winner}".`);
    }
    expect((await lookUp(`?externalId=${externalId}`)).body.id).toBe(winner);
    // No partial write: the losers left no account behind.
    const { Items } = await app.client.send(
      new ScanCommand({
        TableName: app.tableName,
        ConsistentRead: true,
        FilterExpression: 'externalId = :id',
        ExpressionAttributeValues: { ':id': { S: externalId } },
      }),
    );
    expect(Items?.map((item) => item.id?.S)).toEqual([winner]);
  });
});

describe('POST /v1/debits: the admin debit by externalId', () => {
  const debit = (body: unknown, idempotencyKey = 'job-1') => call(app.url, 'POST', '/v1/debits', { token: ADMIN_KEY, body, idempotencyKey });

  it('charges the account created with that externalId, once per Idempotency-Key, and 402s when short', async () => {
    const externalId = `billing-${Date.now()}`;
    const account = await create(externalId);
    await call(app.url, 'POST', `/v1/accounts/${account.body.id}/top-ups`, { token: ADMIN_KEY, body: { credits: 10 }, idempotencyKey: 'open' });
    const first = await debit({ externalId, operation: 'render', credits: 4 });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ credits: 4, operation: 'render', balance: { available: 6 } });
    const again = await debit({ externalId, operation: 'render', credits: 4 });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const short = await debit({ externalId, operation: 'render', credits: 7 }, 'job-2');
    expect(short.status).toBe(402);
    expect(short.body.balance).toMatchObject({ available: 6, required: 7 });
    expect((await lookUp(`?externalId=${externalId}`)).body.balance.available).toBe(6);
  });

  it('answers an unknown externalId 404 and a bad one 400, as problem+json', async () => {
    const unknown = await debit({ externalId: 'no-such-tenant', operation: 'render', credits: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    const bad = await debit({ externalId: 'has space', operation: 'render', credits: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('body.externalId');
  });
});
