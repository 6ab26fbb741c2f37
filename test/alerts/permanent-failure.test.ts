import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailSender } from '../../functions/alerts/ses-sender.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { createStreamHandler } from '../../functions/streams/handler.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

// A stand-in sender, because aws-ses-v2-local cannot produce this fault: SES refusing a message
// for good (e.g. "Email address is not verified" in the SES sandbox).
const attempts: string[] = [];
const refusing: EmailSender = {
  async send(to) {
    attempts.push(to);
    throw Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' });
  },
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ stream: () => createStreamHandler({ sender: refusing, clock: systemClock, pricing }) });
});
afterAll(() => app.stop());

describe('an alert SES refuses for good', () => {
  it('is tried once and does not hold up the stream: the ledger keeps up', async () => {
    const c = await newCustomer(app.url, 100);
    await call(app.url, 'POST', `/v1/accounts/${c.accountId}/debits`, { token: ADMIN_KEY, body: { credits: 60, operation: 'x' }, idempotencyKey: 'a' });
    await call(app.url, 'POST', `/v1/accounts/${c.accountId}/debits`, { token: ADMIN_KEY, body: { credits: 1, operation: 'x' }, idempotencyKey: 'b' });
    await app.settle();
    expect(attempts).toHaveLength(1);
    const ledger = (await call(app.url, 'GET', `/v1/accounts/${c.accountId}/ledger`, { token: ADMIN_KEY })).body.entries;
    expect(ledger.map((e: { balanceAfter: number }) => e.balanceAfter)).toEqual([39, 40, 100]);
  });
});
