import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

describe('POST /v1/accounts', () => {
  it('creates an account on the default plan with a zero balance', async () => {
    const reply = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'Acme', email: 'billing@acme.example' } });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ name: 'Acme', email: 'billing@acme.example', plan: 'free', balance: { available: 0, unit: 'credits' } });
    expect(reply.body.id).toMatch(/^acc_/);
    expect(Date.parse(reply.body.createdAt)).not.toBeNaN();
    const fetched = await call(app.url, 'GET', `/v1/accounts/${reply.body.id}`, { token: ADMIN_KEY });
    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(reply.body.id);
  });

  it.each([
    ['no name', { email: 'a@b.example' }],
    ['an invalid email', { name: 'A', email: 'not-an-email' }],
    ['an unknown plan', { name: 'A', email: 'a@b.example', plan: 'platinum' }],
    ['an unknown field', { name: 'A', email: 'a@b.example', balance: 1000 }],
    ['a name with control characters', { name: 'A\u0007', email: 'a@b.example' }],
    ['an overlong name', { name: 'x'.repeat(201), email: 'a@b.example' }],
  ])('refuses %s with a 400 problem', async (_, body) => {
    const reply = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String), type: expect.stringMatching(/^https:/) });
  });

  it('unknown account is a 404; malformed id a 400', async () => {
    expect((await call(app.url, 'GET', '/v1/accounts/acc_AAAAAAAAAAAAAAAA', { token: ADMIN_KEY })).status).toBe(404);
    expect((await call(app.url, 'GET', '/v1/accounts/..%2F..%2Fetc', { token: ADMIN_KEY })).status).toBe(400);
  });
});

describe('admin authentication', () => {
  it.each([
    ['no Authorization header', undefined, 401],
    ['a wrong admin key', 'tgadmin_wrong_wrong_wrong', 401],
  ])('%s → %i', async (_, token, status) => {
    const reply = await call(app.url, 'POST', '/v1/accounts', { token, body: { name: 'A', email: 'a@b.example' } });
    expect(reply.status).toBe(status);
    expect(reply.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('an API key on an admin route is a 403', async () => {
    const customer = await newCustomer(app.url);
    const reply = await call(app.url, 'GET', `/v1/accounts/${customer.accountId}`, { token: customer.apiKey });
    expect(reply.status).toBe(403);
  });

  it('the admin key on a client route is a 403', async () => {
    expect((await call(app.url, 'GET', '/v1/balance', { token: ADMIN_KEY })).status).toBe(403);
  });
});

describe('API keys', () => {
  it('are shown once with the tg_ prefix, ≥ 128 bits, and stored only as a hash', async () => {
    const customer = await newCustomer(app.url);
    expect(customer.apiKey).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    const { tableSnapshot } = await import('../support/app.ts');
    expect(await tableSnapshot(app)).not.toContain(customer.apiKey);
    expect(await tableSnapshot(app)).not.toContain(customer.apiKey.slice(3));
  });

  it('a revoked key stops working at once, even where it was just used', async () => {
    const customer = await newCustomer(app.url, 10);
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).status).toBe(200);
    const revoked = await call(app.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${customer.keyId}`, { token: ADMIN_KEY });
    expect(revoked.status).toBe(204);
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).status).toBe(401);
    const charged = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'nut' } } });
    expect(charged.status).toBe(401);
    const account = await call(app.url, 'GET', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY });
    expect(account.body.balance.available).toBe(10);
    expect((await call(app.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${customer.keyId}`, { token: ADMIN_KEY })).status).toBe(404);
  });

  it('other keys of the account keep working after one is revoked', async () => {
    const customer = await newCustomer(app.url, 10);
    const second = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/keys`, { token: ADMIN_KEY, body: {} });
    await call(app.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${customer.keyId}`, { token: ADMIN_KEY });
    expect((await call(app.url, 'GET', '/v1/balance', { token: second.body.key })).status).toBe(200);
  });

  it('a key for an unknown account is a 404', async () => {
    expect((await call(app.url, 'POST', '/v1/accounts/acc_AAAAAAAAAAAAAAAA/keys', { token: ADMIN_KEY, body: {} })).status).toBe(404);
  });

  it.each([['not a key'], ['tg_short'], [`tg_${'A'.repeat(43)}`]])('an unknown or malformed key %s is a 401', async (token) => {
    expect((await call(app.url, 'GET', '/v1/balance', { token })).status).toBe(401);
  });
});

describe('revocation beats idempotent replay', () => {
  it('a revoked key gets a 401, not the stored answer, when it retries an Idempotency-Key', async () => {
    const customer = await newCustomer(app.url, 10);
    const first = await call(app.url, 'POST', '/v1/queries', {
      token: customer.apiKey,
      idempotencyKey: 'r-1',
      body: { operation: 'search', input: { q: 'nut' } },
    });
    expect(first.status).toBe(200);
    await call(app.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${customer.keyId}`, { token: ADMIN_KEY });
    const retry = await call(app.url, 'POST', '/v1/queries', {
      token: customer.apiKey,
      idempotencyKey: 'r-1',
      body: { operation: 'search', input: { q: 'nut' } },
    });
    expect(retry.status).toBe(401);
    expect((await call(app.url, 'GET', `/v1/queries/${first.body.id}`, { token: customer.apiKey })).status).toBe(401);
  });

  it('a revoked key resuming a query gets a 401 whatever the query: nothing about it is revealed', async () => {
    const customer = await newCustomer(app.url, 10);
    const search = { operation: 'search', input: { q: 'nut' } };
    const completed = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: search });
    const parked = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } });
    expect([completed.status, parked.status]).toEqual([200, 402]);
    await call(app.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${customer.keyId}`, { token: ADMIN_KEY });
    for (const queryId of [completed.body.id, parked.body.query.id, `q_${'x'.repeat(20)}`]) {
      const reply = await call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: customer.apiKey });
      expect(reply.status, queryId).toBe(401);
      expect(reply.body.detail).toContain('revoked');
    }
  });
});

describe('the Authorization scheme', () => {
  it('is case-insensitive, as RFC 9110 says', async () => {
    const customer = await newCustomer(app.url, 3);
    const reply = await call(app.url, 'GET', '/v1/balance', { headers: { Authorization: `bearer ${customer.apiKey}` } });
    expect(reply.status).toBe(200);
  });
});
