import { Readable, Writable } from 'node:stream';
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../functions/http/types.ts';
import { type MeteredResult, meter } from '../../functions/metering/meter.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { apiEvent } from '../support/lambda-run.ts';

/**
 * Lambda response streaming: the Node.js runtime gives a streamed handler an `awslambda` global
 * (`streamifyResponse`, `HttpResponseStream`) that no local emulator provides. This is a minimal
 * stand-in for that global only; middy, `meter()`, the handler and DynamoDB are the real ones.
 */
type ResponseStream = Writable & { prelude?: { statusCode: number; headers: Record<string, string> } };
Object.assign(globalThis, {
  awslambda: {
    streamifyResponse: (handler: unknown) => handler,
    HttpResponseStream: {
      from: (stream: ResponseStream, prelude: ResponseStream['prelude']) => Object.assign(stream, { prelude }),
    },
  },
});

/** A streamed LLM answer: one token per chunk, counted as it is sent. */
type StreamedAnswer = MeteredResult & { usage: { tokens: number } };
const complete = async (event: HttpEvent): Promise<StreamedAnswer> => {
  const { tokens, breakAfter } = JSON.parse(event.body ?? '{}') as { tokens: number; breakAfter?: number };
  const usage = { tokens: 0 };
  async function* generate() {
    for (let i = 0; i < tokens; i++) {
      if (i === breakAfter) throw new Error('the model stopped mid-answer');
      usage.tokens += 1;
      yield `t${i} `;
    }
  }
  return { statusCode: 200, headers: { 'Content-Type': 'text/plain' }, body: Readable.from(generate()), usage };
};
const llm = middy<HttpEvent, StreamedAnswer, Error, Context>({ executionMode: executionModeStreamifyResponse })
  .use(
    meter<HttpEvent, StreamedAnswer>({
      operation: 'complete',
      estimate: (event) => (JSON.parse(event.body ?? '{}') as { maxTokens: number }).maxTokens,
      settle: (response) => response.usage.tokens,
    }),
  )
  .handler(complete) as unknown as (event: HttpEvent, stream: ResponseStream, context: Context) => Promise<void>;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

async function stream(apiKey: string, body: unknown, idempotencyKey?: string) {
  const chunks: Buffer[] = [];
  const out: ResponseStream = new Writable({
    write: (chunk, _encoding, callback) => {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  const error = await llm(apiEvent({ method: 'POST', path: '/v1/complete', token: apiKey, body, idempotencyKey }), out, {} as Context).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { prelude: out.prelude, text: Buffer.concat(chunks).toString('utf8'), error };
}
const balance = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body.balance;
const ledger = async (accountId: string) => {
  await app.settle();
  const entries = (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger`, { token: ADMIN_KEY })).body.entries;
  return entries.map((e: { type: string; credits: number }) => [e.type, e.credits]).reverse();
};

describe('meter() with deferred pricing on a streamed answer', () => {
  it('holds before the stream starts and settles the tokens counted when it ends, once', async () => {
    const c = await newCustomer(app.url, 100);
    const reply = await stream(c.apiKey, { maxTokens: 40, tokens: 12 }, 'chat-stream-1');
    expect(reply.error).toBeUndefined();
    expect(reply.text).toBe(Array.from({ length: 12 }, (_, i) => `t${i} `).join(''));
    expect(reply.prelude?.statusCode).toBe(200);
    expect(reply.prelude?.headers['Credits-Held']).toBe('40');
    expect(reply.prelude?.headers['Credits-Hold-Id']).toMatch(/^mt_/);
    // Settled before the invocation ended: nothing left held.
    expect(await balance(c.accountId)).toMatchObject({ available: 88, held: 0 });

    const retry = await stream(c.apiKey, { maxTokens: 40, tokens: 12 }, 'chat-stream-1');
    expect(retry.prelude?.headers['Idempotent-Replayed']).toBe('true');
    expect(retry.prelude?.headers['Credits-Charged']).toBe('12');
    expect(JSON.parse(retry.text)).toMatchObject({ charged: 12, operation: 'complete' });
    expect(await balance(c.accountId)).toMatchObject({ available: 88, held: 0 });
    expect(await ledger(c.accountId)).toEqual([
      ['top_up', 100],
      ['hold', -40],
      ['settle', 28],
    ]);
  });

  it('a stream that breaks before its end pays nothing: the whole hold is released', async () => {
    const c = await newCustomer(app.url, 50);
    const reply = await stream(c.apiKey, { maxTokens: 20, tokens: 10, breakAfter: 4 }, 'chat-stream-2');
    expect(reply.error).toBeInstanceOf(Error);
    expect(reply.text).toBe('t0 t1 t2 t3 ');
    expect(await balance(c.accountId)).toMatchObject({ available: 50, held: 0 });
    const retry = await stream(c.apiKey, { maxTokens: 20, tokens: 10, breakAfter: 4 }, 'chat-stream-2');
    expect(retry.prelude?.statusCode).toBe(500);
    expect(JSON.parse(retry.text)).toMatchObject({ released: 20 });
    expect(await ledger(c.accountId)).toEqual([
      ['top_up', 50],
      ['hold', -20],
      ['release', 20],
    ]);
  });

  it('a stream that fits no hold is a 402 before anything is sent', async () => {
    const c = await newCustomer(app.url, 5);
    const reply = await stream(c.apiKey, { maxTokens: 20, tokens: 3 });
    expect(reply.prelude?.statusCode).toBe(402);
    expect(JSON.parse(reply.text)).toMatchObject({ status: 402 });
    expect(await balance(c.accountId)).toMatchObject({ available: 5, held: 0 });
  });
});
