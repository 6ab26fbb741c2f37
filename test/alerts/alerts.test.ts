import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService, type MeteredService } from '../../functions/queries/service.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { verifyLink } from '../../functions/shared/signed-links.ts';
import type { StreamLambda } from '../../local/stream-poller.ts';
import { ADMIN_KEY, LINK_SECRET, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { header, mailTo, newAddress } from '../support/inbox.ts';
import { pricing } from '../support/prices.ts';

// Work that fails after the charge, so its credits are refunded: a refund is how a balance jiggles back up.
const flaky: MeteredService = {
  ...catalogService,
  run: async (operation, input) => (operation === 'export' ? Promise.reject(new Error('boom')) : catalogService.run(operation, input)),
};
const delivered: DynamoDBStreamEvent[] = [];
let real: StreamLambda;
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    lambdas: () => ({ queries: httpHandler(queryRoutes({ service: flaky, pricing, clock: systemClock })) }),
    stream: (handler) => {
      real = handler;
      return async (event) => {
        delivered.push(event);
        return handler(event);
      };
    },
  });
});
afterAll(() => app.stop());

async function customerWith(credits: number, plan?: string) {
  const email = newAddress();
  const customer = await newCustomer(app.url, credits, plan, email);
  return { ...customer, email };
}
const debit = (accountId: string, credits: number) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/debits`, { token: ADMIN_KEY, body: { credits, operation: 'ingest' }, idempotencyKey: `d-${Math.random()}` });
const topUp = (accountId: string, credits: number) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/top-ups`, { token: ADMIN_KEY, body: { credits }, idempotencyKey: `t-${Math.random()}` });
async function settledMail(address: string) {
  await app.settle();
  return mailTo(address);
}

describe('threshold alerts', () => {
  it('each threshold crossed sends one email, once', async () => {
    const c = await customerWith(100);
    await debit(c.accountId, 40); // 60: above 50 %
    expect(await settledMail(c.email)).toHaveLength(0);
    await debit(c.accountId, 10); // 50: at the 50 % level
    await debit(c.accountId, 5); // 45
    let mail = await settledMail(c.email);
    expect(mail.map((m) => m.subject)).toEqual(['Heads up: 50 credits left (50% of your last top-up)']);
    await debit(c.accountId, 26); // 19: crosses 20 %
    // The consumer decides once per batch (the lowest crossed wins): let each crossing be its own batch.
    await app.settle();
    await debit(c.accountId, 15); // 4: crosses 5 %
    mail = await settledMail(c.email);
    expect(mail.map((m) => m.subject)).toEqual([
      'Heads up: 50 credits left (50% of your last top-up)',
      'Heads up: 19 credits left (20% of your last top-up)',
      'Heads up: 4 credits left (5% of your last top-up)',
    ]);
  });

  it('one debit across two thresholds sends one email, for the lower', async () => {
    const c = await customerWith(100);
    await debit(c.accountId, 85);
    const mail = await settledMail(c.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toContain('(20% of your last top-up)');
  });

  it('a balance jiggling around a threshold (debits and refunds) sends no second email', async () => {
    const c = await customerWith(40); // 50 % is 20 credits
    for (let i = 0; i < 3; i++) {
      // export costs 25 and its work fails: 40 → 15 (below 50 %) → refunded → 40, three times over
      const failed = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'export' } });
      expect(failed.status).toBe(500);
    }
    const mail = await settledMail(c.email);
    expect(mail.map((m) => m.subject)).toEqual(['Heads up: 15 credits left (50% of your last top-up)']);
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(40);
  });

  it('a top-up re-arms the thresholds', async () => {
    const c = await customerWith(100);
    await debit(c.accountId, 60); // 40: crosses 50 %
    expect(await settledMail(c.email)).toHaveLength(1);
    await topUp(c.accountId, 60); // 100 again: a new baseline
    await debit(c.accountId, 60); // 40: crosses 50 % of the new baseline
    const mail = await settledMail(c.email);
    expect(mail).toHaveLength(2);
  });

  it('redelivering the same stream batches sends nothing twice', async () => {
    const c = await customerWith(100);
    const from = delivered.length;
    await debit(c.accountId, 90);
    await app.settle();
    const batches = delivered.slice(from);
    for (const batch of batches) expect((await real(batch))?.batchItemFailures).toEqual([]);
    for (const batch of batches) await real(batch);
    expect(await mailTo(c.email)).toHaveLength(1);
  });
});

describe('the email', () => {
  it('is written for a person, with balance, usage, runway, options and signed links', async () => {
    const c = await customerWith(100, 'free');
    await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    await debit(c.accountId, 45); // 45: crosses 50 %
    const [mail] = await settledMail(c.email);
    expect(mail).toBeDefined();
    if (!mail) return;
    const text = mail.body.text ?? '';
    expect(text).toMatch(/Balance: 45 credits as of \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\./);
    expect(text).toMatch(/since your last top-up \(\d{1,2} [A-Z][a-z]{2} \d{4}\)/);
    expect(text, 'no raw ISO timestamps where a person reads').not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(text).toMatch(/At your pace of the last 7 days, (that's about \d+ days? left|that lasts less than a day)\./);
    expect(text).toContain('ingest: 45 credits over 1 request');
    expect(text).toContain('report: 10 credits over 1 request');
    expect(text).toContain('100 credits for $5.00');
    expect(text).toContain('Starter: 1,000 credits a month for $29.00, unused credits carry over');
    const html = mail.body.html ?? '';
    expect(html).toMatch(/^<!doctype html>/);
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&#38;', '&'));
    const tokenOf = (path: string) => new URL(hrefs.find((h) => new URL(h).pathname === path) ?? 'http://x/').searchParams.get('token') ?? '';
    expect(verifyLink(tokenOf('/usage'), 'usage', new Date(), LINK_SECRET).accountId).toBe(c.accountId);
    expect(verifyLink(tokenOf('/remind'), 'remind', new Date(), LINK_SECRET).accountId).toBe(c.accountId);
    expect(html).not.toContain(c.apiKey);
    expect(header(mail, 'List-Unsubscribe')).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/v1\/alerts\/unsubscribe\?token=[\w-]+\.[\w-]+>$/);
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  });
});

describe('depletion alerts', () => {
  it('the first refused query of an episode sends one email with the way forward; later ones send nothing', async () => {
    const c = await customerWith(5);
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    expect(refused.status).toBe(402);
    await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'export' } });
    const mail = (await settledMail(c.email)).filter((m) => m.subject.includes('waiting'));
    expect(mail).toHaveLength(1);
    const text = mail[0]?.body.text ?? '';
    expect(mail[0]?.subject).toBe('Your report is waiting — 5 credits short');
    expect(text).toContain("we've kept it");
    expect(text).toMatch(/Resume the waiting query \(kept until [^)]+\): http:\/\/127\.0\.0\.1:\d+\/resume\?token=/);
    const resumeToken = new URL(/(http:\/\/\S+\/resume\?token=\S+)/.exec(text)?.[1] ?? 'http://x').searchParams.get('token') ?? '';
    expect(verifyLink(resumeToken, 'resume', new Date(), LINK_SECRET).queryId).toBe(refused.body.query.id);
    await topUp(c.accountId, 5);
    await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'export' } });
    expect((await settledMail(c.email)).filter((m) => m.subject.includes('waiting'))).toHaveLength(2);
  });
});

describe('refused admin debits', () => {
  it('get their own email (nothing was kept, no resume link) and leave the depletion email to a parked query', async () => {
    const c = await customerWith(5);
    const refusedDebit = await debit(c.accountId, 8);
    expect(refusedDebit.status).toBe(402);
    await debit(c.accountId, 9); // a second refusal in the same episode: no second email
    let mail = await settledMail(c.email);
    expect(mail.map((m) => m.subject)).toEqual(['A charge for ingest was refused — 3 credits short']);
    const text = mail[0]?.body.text ?? '';
    expect(text).toContain('Nothing was charged');
    expect(text).not.toContain("we've kept it");
    expect(text).not.toContain('/resume?token=');

    const parked = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    expect(parked.status).toBe(402);
    mail = await settledMail(c.email);
    expect(mail.map((m) => m.subject)).toEqual(['A charge for ingest was refused — 3 credits short', 'Your report is waiting — 5 credits short']);
    const resumeToken = new URL(/(http:\/\/\S+\/resume\?token=\S+)/.exec(mail[1]?.body.text ?? '')?.[1] ?? 'http://x').searchParams.get('token') ?? '';
    expect(verifyLink(resumeToken, 'resume', new Date(), LINK_SECRET).queryId).toBe(parked.body.query.id);
  });

  it('after a parked query has had its email, a refused debit sends nothing more', async () => {
    const c = await customerWith(5);
    expect((await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } })).status).toBe(402);
    expect((await debit(c.accountId, 8)).status).toBe(402);
    expect((await settledMail(c.email)).map((m) => m.subject)).toEqual(['Your report is waiting — 5 credits short']);
  });
});

describe('unsubscribe', () => {
  it('one click (RFC 8058) turns alerts off; the 402 still works', async () => {
    const c = await customerWith(100);
    await debit(c.accountId, 60);
    const [mail] = await settledMail(c.email);
    const url = (header(mail ?? ({ headers: [] } as never), 'List-Unsubscribe') ?? '').slice(1, -1);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Stop these emails');
    expect((await call(app.url, 'GET', '/v1/alerts', { token: c.apiKey })).body.enabled).toBe(true);
    const oneClick = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect((await call(app.url, 'GET', '/v1/alerts', { token: c.apiKey })).body.enabled).toBe(false);
    await debit(c.accountId, 30); // crosses 20 %
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'export' } });
    expect(refused.status).toBe(402);
    expect(await settledMail(c.email)).toHaveLength(1);
  });

  it('a tampered or expired token is refused', async () => {
    const c = await customerWith(100);
    await debit(c.accountId, 60);
    const [mail] = await settledMail(c.email);
    const url = new URL((header(mail ?? ({ headers: [] } as never), 'List-Unsubscribe') ?? '').slice(1, -1));
    const token = url.searchParams.get('token') ?? '';
    url.searchParams.set('token', `${token.slice(0, -2)}xx`);
    const tampered = await fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(tampered.status).toBe(403);
    expect((await call(app.url, 'GET', '/v1/alerts', { token: c.apiKey })).body.enabled).toBe(true);
  });
});

describe('alert settings', () => {
  it('the customer sets thresholds and recipient; the next crossing uses them', async () => {
    const c = await customerWith(100);
    const other = newAddress();
    const put = await call(app.url, 'PUT', '/v1/alerts', { token: c.apiKey, body: { thresholds: [30, 80], email: other } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ thresholds: [80, 30], email: other, enabled: true });
    await debit(c.accountId, 25); // 75: crosses 80 %
    expect(await settledMail(other)).toHaveLength(1);
    expect(await mailTo(c.email)).toHaveLength(0);
  });

  it('the operator can switch alerts off', async () => {
    const c = await customerWith(100);
    const put = await call(app.url, 'PUT', `/v1/accounts/${c.accountId}/alerts`, { token: ADMIN_KEY, body: { enabled: false } });
    expect(put.status).toBe(200);
    await debit(c.accountId, 99);
    expect(await settledMail(c.email)).toHaveLength(0);
  });

  it.each([
    { thresholds: [] },
    { thresholds: [0] },
    { thresholds: [100] },
    { thresholds: [50, 50] },
    { thresholds: [12.5] },
    { email: 'nope' },
    { enabled: 'yes' },
    { extra: 1 },
  ])('refuses %j with 400', async (body) => {
    const c = await customerWith(1);
    expect((await call(app.url, 'PUT', '/v1/alerts', { token: c.apiKey, body })).status).toBe(400);
  });
});

describe('when SES is unreachable', () => {
  let down: TestApp;
  const responses: DynamoDBBatchResponse[] = [];
  let sesUp = false;
  beforeAll(async () => {
    const { createStreamHandler } = await import('../../functions/streams/handler.ts');
    const { sesSender } = await import('../../functions/alerts/ses-sender.ts');
    // A real connection refusal: nothing listens on port 9 of this machine.
    const unreachable = createStreamHandler({ sender: sesSender('http://127.0.0.1:9'), clock: systemClock, pricing });
    down = await startTestApp({
      stream: (working) => async (event) => {
        const response = (await (sesUp ? working : unreachable)(event)) as DynamoDBBatchResponse;
        responses.push(response);
        return response;
      },
    });
  });
  afterAll(() => down.stop());

  it('the record is reported as a batch item failure, then delivered once when SES is back', async () => {
    const email = newAddress();
    const c = await newCustomer(down.url, 100, undefined, email);
    await call(down.url, 'POST', `/v1/accounts/${c.accountId}/debits`, { token: ADMIN_KEY, body: { credits: 60, operation: 'x' }, idempotencyKey: 'd1' });
    const deadline = Date.now() + 20_000;
    while (!responses.some((r) => r.batchItemFailures.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(responses.some((r) => r.batchItemFailures.length > 0)).toBe(true);
    expect(await mailTo(email)).toHaveLength(0);
    sesUp = true;
    await down.settle();
    expect(await mailTo(email)).toHaveLength(1);
    await down.settle();
    expect(await mailTo(email)).toHaveLength(1);
  });
});
