import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpEvent, HttpResult } from '../../functions/http/types.ts';
import { meter } from '../../functions/metering/meter.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/**
 * A platform team's LLM endpoint billed by tokens, metered with meter({ estimate, settle }) and served
 * on `POST /v1/queries` of the local gateway: the request says the most tokens it may use and how the
 * model behaves; the answer reports the tokens used in a header the settle function reads.
 */
let ran = 0;
const complete = async (event: HttpEvent): Promise<HttpResult> => {
  ran += 1;
  const body = JSON.parse(event.body ?? '{}') as { used?: number; mode?: 'throw' | '5xx' };
  if (body.mode === 'throw') throw new Error('model crashed');
  if (body.mode === '5xx') return { statusCode: 503, headers: {}, body: '{"message":"model busy"}' };
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'X-Tokens': String(body.used ?? 0) },
    body: JSON.stringify({ text: 'hi', run: ran }),
  };
};
const llm = middy<HttpEvent, HttpResult, Error, Context>()
  .use(
    meter({
      operation: 'complete',
      estimate: (event) => (JSON.parse(event.body ?? '{}') as { maxTokens: number }).maxTokens,
      settle: (response) => Number(response.headers?.['X-Tokens']),
    }),
  )
  .handler(complete);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ lambdas: () => ({ queries: (event, context) => llm(event, context) }) });
});
afterAll(() => app.stop());
beforeEach(() => {
  ran = 0;
});

const ask = (apiKey: string, body: unknown, idempotencyKey?: string) => call(app.url, 'POST', '/v1/queries', { token: apiKey, body, idempotencyKey });
const account = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body.balance;
const ledger = async (accountId: string) => {
  await app.settle();
  const entries = (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger`, { token: ADMIN_KEY })).body.entries;
  return entries.map((e: { type: string; credits: number }) => [e.type, e.credits]).reverse();
};

describe('meter() with deferred pricing', () => {
  it('refuses misconfigured options where it is called, though the hold machinery loads later', () => {
    const settle = () => 1;
    const estimate = () => 1;
    expect(() => meter({ operation: 'Not A Name', estimate, settle })).toThrow('is not a valid operation name');
    expect(() => meter({ operation: 'complete', estimate, settle, expiresIn: 'soon' })).toThrow('is not an ISO-8601 duration');
  });

  it('holds the estimate, charges the tokens used, and replays the answer for a retry', async () => {
    const c = await newCustomer(app.url, 100);
    const reply = await ask(c.apiKey, { maxTokens: 40, used: 12 }, 'chat-1');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('credits-charged')).toBe('12');
    expect(reply.headers.get('credits-remaining')).toBe('88');
    expect(await account(c.accountId)).toMatchObject({ available: 88, held: 0 });
    const retry = await ask(c.apiKey, { maxTokens: 40, used: 12 }, 'chat-1');
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(reply.body);
    expect(ran).toBe(1);
    expect(await ledger(c.accountId)).toEqual([
      ['top_up', 100],
      ['hold', -40],
      ['settle', 28],
    ]);
  });

  it('never lets a run go below zero: the estimate must fit, or a 402 and the model does not run', async () => {
    const c = await newCustomer(app.url, 30);
    const refused = await ask(c.apiKey, { maxTokens: 40, used: 5 });
    expect(refused.status).toBe(402);
    expect(ran).toBe(0);
    // Used more than held: capped at the hold (the default policy), never below zero.
    const over = await ask(c.apiKey, { maxTokens: 30, used: 75 });
    expect(over.headers.get('credits-charged')).toBe('30');
    expect(await account(c.accountId)).toMatchObject({ available: 0, held: 0 });
  });

  it('a failed run pays nothing: a throw or a 5xx releases the whole hold', async () => {
    const c = await newCustomer(app.url, 50);
    const thrown = await ask(c.apiKey, { maxTokens: 20, mode: 'throw' });
    expect(thrown.status).toBe(500);
    expect(thrown.body).toMatchObject({ released: 20 });
    const busy = await ask(c.apiKey, { maxTokens: 20, mode: '5xx' });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('credits-charged')).toBe('0');
    expect(await account(c.accountId)).toMatchObject({ available: 50, held: 0 });
    expect(await ledger(c.accountId)).toEqual([
      ['top_up', 50],
      ['hold', -20],
      ['release', 20],
      ['hold', -20],
      ['release', 20],
    ]);
  });
});
