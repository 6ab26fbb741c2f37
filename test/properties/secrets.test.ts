import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService, type MeteredService } from '../../functions/queries/service.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { logger, logsWritten } from '../../functions/shared/logger.ts';
import { ADMIN_KEY, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

/**
 * Secrets at rest and in logs: after a busy life of an account (keys created and revoked, queries
 * run, refused, failed and resumed, bad credentials tried), no plaintext API key or admin key
 * is in any item of the table, and no key or customer email address is in the logs.
 */

const brokenService: MeteredService = { ...catalogService, run: async () => Promise.reject(new Error('catalogue backend unreachable')) };
let app: TestApp;
let logs = '';
const write = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  app = await startTestApp({
    lambdas: (real) => ({ queries: httpHandler(queryRoutes({ service: brokenService, pricing, clock: systemClock })), usage: real.usage }),
  });
});
afterAll(() => app.stop());

/** Runs `fn` with the logger at DEBUG and everything written to stdout/stderr captured. */
async function capturingLogs(fn: () => Promise<void>): Promise<void> {
  logger.setLogLevel('DEBUG');
  const capture = (chunk: unknown) => {
    logs += String(chunk);
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    await logsWritten();
    process.stdout.write = write;
    process.stderr.write = writeErr;
    logger.setLogLevel('CRITICAL');
  }
}

describe('secrets', () => {
  const secrets: string[] = [ADMIN_KEY];
  const emails: string[] = [];

  it('a busy account life', async () => {
    await capturingLogs(async () => {
      for (let i = 0; i < 3; i++) {
        const customer = await newCustomer(app.url, 12);
        secrets.push(customer.apiKey);
        emails.push('owner@test.example');
        const extra = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/keys`, { token: ADMIN_KEY, body: { name: 'ci' } });
        secrets.push(extra.body.key);
        await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'search', input: { q: 'bolt' } } }); // work fails, refunded
        const refused = await call(app.url, 'POST', '/v1/queries', { token: extra.body.key, body: { operation: 'export' } }); // 402, parked
        await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 30 }, idempotencyKey: `t${i}` });
        await call(app.url, 'POST', `/v1/queries/${refused.body.query.id}/resume`, { token: extra.body.key });
        await call(app.url, 'DELETE', `/v1/accounts/${customer.accountId}/keys/${extra.body.id}`, { token: ADMIN_KEY });
        await call(app.url, 'GET', '/v1/balance', { token: extra.body.key }); // revoked
        await call(app.url, 'GET', '/v1/usage', { token: customer.apiKey });
        await call(app.url, 'GET', `/v1/accounts/${customer.accountId}/ledger`, { token: customer.apiKey }); // client key on an admin route
        await call(app.url, 'GET', '/v1/balance', { token: ADMIN_KEY }); // admin key on a client route
        await call(app.url, 'GET', '/v1/balance', { token: `${customer.apiKey.slice(0, -2)}xx` }); // a near miss
      }
      await app.settle();
    });
    expect(secrets.length).toBe(7);
  });

  it('no plaintext API key or admin key in any table item', async () => {
    const table = await tableSnapshot(app);
    expect(table.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      expect(table).not.toContain(secret);
      // The random part on its own, in case a prefix is stripped before storing.
      expect(table).not.toContain(secret.replace(/^tg(admin)?_/, '').slice(0, 24));
    }
  });

  it('no key or customer email address in the logs', () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret.replace(/^tg(admin)?_/, '').slice(0, 24));
    for (const email of emails) expect(logs).not.toContain(email);
  });
});
