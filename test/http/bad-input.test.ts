import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { type CallOptions, call, newCustomer } from '../support/http.ts';

let app: TestApp;
let customer: Awaited<ReturnType<typeof newCustomer>>;
beforeAll(async () => {
  app = await startTestApp();
  customer = await newCustomer(app.url, 50);
});
afterAll(() => app.stop());

const json = { 'Content-Type': 'application/json' };

type Case = [name: string, method: string, path: () => string, options: () => CallOptions, status: number];

const cases: Case[] = [
  ['malformed JSON', 'POST', () => '/v1/queries', () => ({ token: customer.apiKey, raw: '{"operation":', headers: json }), 400],
  ['truncated JSON', 'POST', () => '/v1/queries', () => ({ token: customer.apiKey, raw: '{"operation":"search","input":{"q":"bo', headers: json }), 400],
  ['a JSON array body', 'POST', () => '/v1/queries', () => ({ token: customer.apiKey, raw: '[]', headers: json }), 400],
  ['a JSON string body', 'POST', () => '/v1/queries', () => ({ token: customer.apiKey, raw: '"search"', headers: json }), 400],
  ['text/plain body', 'POST', () => '/v1/queries', () => ({ token: customer.apiKey, raw: 'operation=search', headers: { 'Content-Type': 'text/plain' } }), 415],
  [
    'form body',
    'POST',
    () => '/v1/queries',
    () => ({ token: customer.apiKey, raw: 'operation=search', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
    415,
  ],
  ['an oversized body', 'POST', () => '/v1/queries', () => ({ token: customer.apiKey, body: { operation: 'search', input: { q: 'x'.repeat(20_000) } } }), 413],
  [
    'invalid UTF-8',
    'POST',
    () => '/v1/queries',
    () => ({ token: customer.apiKey, raw: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1'), headers: json }),
    400,
  ],
  ['missing auth', 'POST', () => '/v1/queries', () => ({ body: { operation: 'search', input: { q: 'a' } } }), 401],
  ['Basic auth', 'GET', () => '/v1/balance', () => ({ headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), 401],
  ['an empty bearer', 'GET', () => '/v1/balance', () => ({ headers: { Authorization: 'Bearer ' } }), 401],
  [
    'a client key on the top-up route',
    'POST',
    () => `/v1/accounts/${customer.accountId}/top-ups`,
    () => ({ token: customer.apiKey, body: { credits: 1000 }, idempotencyKey: 'steal' }),
    403,
  ],
  ['a path traversal id', 'GET', () => '/v1/queries/..%2F..%2Fadmin', () => ({ token: customer.apiKey }), 400],
  ['an injection in the query id', 'GET', () => "/v1/queries/q_1'%20OR%201=1", () => ({ token: customer.apiKey }), 400],
  ['an unknown route', 'GET', () => '/v1/nothing-here', () => ({ token: customer.apiKey }), 404],
  ['a wrong method', 'PUT', () => '/v1/balance', () => ({ token: customer.apiKey }), 404],
  [
    'credits in exponent overflow',
    'POST',
    () => `/v1/accounts/${customer.accountId}/debits`,
    () => ({ token: ADMIN_KEY, raw: '{"credits":1e400,"operation":"x"}', headers: json, idempotencyKey: 'e1' }),
    400,
  ],
  [
    'an operation with unicode',
    'POST',
    () => `/v1/accounts/${customer.accountId}/debits`,
    () => ({ token: ADMIN_KEY, body: { credits: 1, operation: 'sëarch' }, idempotencyKey: 'u1' }),
    400,
  ],
];

describe('bad input is a 4xx problem and changes nothing', () => {
  it.each(cases)('%s', async (_, method, path, options, status) => {
    await app.settle();
    const before = await tableSnapshot(app);
    const reply = await call(app.url, method, path(), options());
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
    await app.settle();
    expect(await tableSnapshot(app)).toBe(before);
  });
});

describe('health', () => {
  it('GET /health is ok', async () => {
    const reply = await call(app.url, 'GET', '/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });
});
