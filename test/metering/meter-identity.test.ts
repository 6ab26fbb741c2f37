import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEvent, HttpResult } from '../../functions/http/types.ts';
import { meter } from '../../functions/metering/meter.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call } from '../support/http.ts';

/**
 * meter() identifying the account from the platform's own auth: a JWT authorizer's claims
 * (`tenant` → the account's externalId) or a Lambda authorizer's context (`accountId`).
 * API Gateway verifies the token and puts the claims on the event; locally there is no
 * authorizer, so the test puts on the event what API Gateway would, from an `X-Test-Claims` header.
 */
let ran = 0;
const work = async (): Promise<HttpResult> => {
  ran += 1;
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rendered: true }) };
};
type AuthorizedEvent = HttpEvent & { requestContext: { authorizer?: { jwt?: { claims: Record<string, string> }; lambda?: Record<string, string> } } };
const byJwtClaims = middy<AuthorizedEvent, HttpResult, Error, Context>()
  .use(
    meter<AuthorizedEvent>({
      price: (event) => ({ operation: 'thumbnail', credits: Number(event.queryStringParameters?.pages ?? 1) }),
      account: (event) => {
        const tenant = event.requestContext.authorizer?.jwt?.claims.tenant;
        return tenant ? { externalId: tenant } : undefined;
      },
    }),
  )
  .handler(work);
const byLambdaAuthorizer = middy<AuthorizedEvent, HttpResult, Error, Context>()
  .use(
    meter<AuthorizedEvent>({
      price: 'search',
      // Resolvers may be async (e.g. a lookup of your own).
      account: async (event) => ({ accountId: event.requestContext.authorizer?.lambda?.accountId ?? '' }),
    }),
  )
  .handler(work);

/** What API Gateway's authorizer would have added to the event. */
function authorized(event: HttpEvent): AuthorizedEvent {
  const claims = event.headers['x-test-claims'];
  const context = event.headers['x-test-authorizer'];
  const authorizer = claims ? { jwt: { claims: JSON.parse(claims) } } : context ? { lambda: JSON.parse(context) } : undefined;
  return { ...event, requestContext: { ...event.requestContext, authorizer } } as AuthorizedEvent;
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    lambdas: () => ({
      queries: (event, context) =>
        event.routeKey === 'POST /v1/queries' ? byJwtClaims(authorized(event), context) : byLambdaAuthorizer(authorized(event), context),
    }),
  });
});
afterAll(() => app.stop());

async function tenant(credits: number) {
  const externalId = `tenant-${Math.random().toString(36).slice(2)}`;
  const account = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'Tenant', email: 't@test.example', externalId } });
  if (account.status !== 201) throw new Error(account.text);
  if (credits > 0) {
    await call(app.url, 'POST', `/v1/accounts/${account.body.id}/top-ups`, { token: ADMIN_KEY, body: { credits }, idempotencyKey: `open-${externalId}` });
  }
  return { externalId, accountId: account.body.id as string };
}

const render = (claims: Record<string, string> | undefined, pages: number, idempotencyKey?: string) =>
  call(app.url, 'POST', `/v1/queries?pages=${pages}`, { headers: claims ? { 'X-Test-Claims': JSON.stringify(claims) } : {}, idempotencyKey });
const balance = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body.balance.available as number;

describe('meter({ account }) with a JWT authorizer’s claims', () => {
  it('charges the tenant’s account: 200 with what it cost and what is left', async () => {
    ran = 0;
    const t = await tenant(10);
    const reply = await render({ tenant: t.externalId, sub: 'user-1' }, 3);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get('credits-charged')).toBe('3');
    expect(reply.headers.get('credits-remaining')).toBe('7');
    expect(ran).toBe(1);
    expect(await balance(t.accountId)).toBe(7);
  });

  it('replays a retry with the same Idempotency-Key without running or charging again', async () => {
    ran = 0;
    const t = await tenant(10);
    const first = await render({ tenant: t.externalId }, 2, 'job-1');
    const again = await render({ tenant: t.externalId }, 2, 'job-1');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(ran).toBe(1);
    expect(await balance(t.accountId)).toBe(8);
  });

  it('answers the standard 402 when the tenant is short, running nothing', async () => {
    ran = 0;
    const t = await tenant(2);
    const reply = await render({ tenant: t.externalId }, 5);
    expect(reply.status).toBe(402);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ error: 'InsufficientBalance', balance: { available: 2, required: 5, shortfall: 3 } });
    expect(ran).toBe(0);
    expect(await balance(t.accountId)).toBe(2);
  });

  it('never overdraws under concurrency: 30 simultaneous 1-credit calls on 10 credits give exactly 10 charges', async () => {
    const t = await tenant(10);
    const replies = await Promise.all(Array.from({ length: 30 }, () => render({ tenant: t.externalId }, 1)));
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(10);
    expect(replies.filter((reply) => reply.status === 402)).toHaveLength(20);
    expect(await balance(t.accountId)).toBe(0);
  });

  it('answers a tenant with no account 403 problem+json, and a request without claims 401, charging nothing', async () => {
    ran = 0;
    const unknown = await render({ tenant: 'never-created' }, 1);
    expect(unknown.status).toBe(403);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(unknown.body).toMatchObject({ status: 403, detail: 'There is no account for externalId "never-created".' });
    const anonymous = await render(undefined, 1);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(ran).toBe(0);
  });
});

describe('meter({ account }) with a Lambda authorizer’s context', () => {
  const resume = (context: Record<string, string>) =>
    call(app.url, 'POST', '/v1/queries/q_any0000000000000000/resume', { headers: { 'X-Test-Authorizer': JSON.stringify(context) } });

  it('charges the account id the authorizer gives', async () => {
    const t = await tenant(5);
    const reply = await resume({ accountId: t.accountId });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('credits-charged')).toBe('1');
    expect(await balance(t.accountId)).toBe(4);
  });

  it('answers an account id that names no account 403 problem+json', async () => {
    for (const accountId of ['acc_0000000000000000', 'not-an-id']) {
      const reply = await resume({ accountId });
      expect(reply.status).toBe(403);
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
