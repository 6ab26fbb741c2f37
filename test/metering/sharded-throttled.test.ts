import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { freePort } from '../../local/ports.ts';
import { ThrottleProxy } from '../../local/throttle-proxy.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/**
 * A sharded account run dry under load, with AWS's per-partition-key limits enforced (scaled down)
 * by the throttling proxy: every credit is spent once, and every request beyond them is a 402 —
 * not a 503 from a call on the account's own key (its refusal records, its usage summary, the
 * proof that the total is short) giving up under throttling.
 */
let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>;
let proxy: ThrottleProxy;
let app: TestApp;
beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ port: await freePort() });
  proxy = await new ThrottleProxy(dynamo.endpoint, { wcuPerKey: 10, rcuPerKey: 60 }).start();
  app = await startTestApp({ dynamoDbEndpoint: proxy.endpoint });
});
afterAll(async () => {
  await app.stop();
  await proxy.stop();
  await dynamo.stop();
});

const CREDITS = 240;
const EXTRA = 80;
const CLIENTS = 32;

describe('a hot sharded account behind per-key throttling', () => {
  it('spends exactly its credits, then answers every request beyond them with 402', async () => {
    const customer = await newCustomer(app.url, CREDITS);
    expect((await call(app.url, 'PATCH', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY, body: { shards: 8 } })).status).toBe(200);
    const throttledBefore = proxy.throttled.write + proxy.throttled.read;
    let sent = 0;
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (sent < CREDITS + EXTRA) {
          sent++;
          const answer = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: `hot-${sent}` } } });
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status !== 200 && answer.status !== 402) failures.push(`${answer.status} ${answer.text.slice(0, 200)}`);
          if (answer.status === 402) expect(answer.body.balance.available).toBe(0);
        }
      }),
    );
    expect(failures.slice(0, 3), failures[0]).toEqual([]);
    expect(Object.fromEntries(statuses)).toEqual({ 200: CREDITS, 402: EXTRA });
    // The limits were met: the run exercised throttling, not an idle table.
    expect(proxy.throttled.write + proxy.throttled.read).toBeGreaterThan(throttledBefore);
    expect((await call(app.url, 'GET', `/v1/accounts/${customer.accountId}`, { token: ADMIN_KEY })).body.balance.available).toBe(0);
  }, 180_000);
});
