import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renewAccount } from '../../functions/plans/renew.ts';
import { ADMIN_KEY, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';
import { pricing } from '../support/prices.ts';
import { deliver, newId, packSession, stripeEvent, WEBHOOK_SECRET } from './stripe-events.ts';

let app: TestApp;
beforeAll(async () => {
  process.env.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
  delete process.env.STRIPE_WEBHOOK_SECRET;
});

const balance = async (apiKey: string) => (await call(app.url, 'GET', '/v1/balance', { token: apiKey })).body.available as number;
const account = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body;
const ledger = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger`, { token: ADMIN_KEY })).body.entries;

describe('POST /v1/webhooks/stripe: a paid checkout', () => {
  it('credits the pack once per session, however often and in whatever order Stripe delivers it', async () => {
    const email = newAddress();
    const c = await newCustomer(app.url, 0, undefined, email);
    const session = packSession({ accountId: c.accountId, pack: 'pack_100', amount: 500 });
    const completed = stripeEvent('checkout.session.completed', session);
    const asyncSucceeded = stripeEvent('checkout.session.async_payment_succeeded', session);
    // The later event first, then the same event five times, partly at once.
    const first = await deliver(app.url, asyncSucceeded);
    expect(first).toMatchObject({ status: 200, body: { received: true, result: 'applied' } });
    const again = await Promise.all(Array.from({ length: 5 }, () => deliver(app.url, completed)));
    expect(again.map((reply) => [reply.status, reply.body.result])).toEqual(Array.from({ length: 5 }, () => [200, 'duplicate']));
    expect(await balance(c.apiKey)).toBe(100);
    await app.settle();
    const topUps = (await ledger(c.accountId)).filter((entry: { type: string }) => entry.type === 'top_up');
    expect(topUps).toHaveLength(1);
    expect(topUps[0]).toMatchObject({ credits: 100, reference: `checkout ${session.id}` });
    const receipts = (await mailTo(email)).filter((mail) => mail.subject.startsWith('Receipt'));
    expect(receipts.map((mail) => mail.subject)).toEqual(['Receipt: 100 credits for $5.00']);
  });

  it('credits nothing while the payment is unpaid, then credits once when it succeeds', async () => {
    const c = await newCustomer(app.url);
    const session = packSession({ accountId: c.accountId, pack: 'pack_500', amount: 2000, paid: false });
    const before = await tableSnapshot(app);
    const pending = await deliver(app.url, stripeEvent('checkout.session.completed', session));
    expect(pending).toMatchObject({ status: 200, body: { result: 'no-change' } });
    expect(await tableSnapshot(app)).toBe(before);
    await deliver(app.url, stripeEvent('checkout.session.async_payment_succeeded', { ...session, payment_status: 'paid' }));
    expect(await balance(c.apiKey)).toBe(500);
  });

  it('runs the parked query the customer paid for, once, and the receipt says it ran', async () => {
    const email = newAddress();
    const c = await newCustomer(app.url, 3, undefined, email);
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'export', input: {} } });
    expect(refused.status).toBe(402);
    const queryId = refused.body.query.id as string;
    const event = stripeEvent('checkout.session.completed', packSession({ accountId: c.accountId, pack: 'pack_100', amount: 500, queryId }));
    await Promise.all([deliver(app.url, event), deliver(app.url, event), deliver(app.url, event)]);
    const query = await call(app.url, 'GET', `/v1/queries/${queryId}`, { token: c.apiKey });
    expect(query.body).toMatchObject({ status: 'completed', charged: 25 });
    expect(await balance(c.apiKey)).toBe(3 + 100 - 25);
    // One receipt however many deliveries raced, sent once the query had run.
    const receipts = (await mailTo(email)).filter((mail) => mail.subject.startsWith('Receipt'));
    expect(receipts).toHaveLength(1);
    expect(receipts[0]?.body.text).toContain('export: done, 25 credits');
  });
});

describe('POST /v1/webhooks/stripe: only events signed by Stripe', () => {
  it.each([
    ['signed with another secret (forged)', { secret: 'whsec_not_the_endpoint_secret' }],
    ['changed after signing (tampered)', { tamper: (payload: string) => payload.replace('"pack_100"', '"pack_10000"') }],
    ['signed 10 minutes ago (stale, replayed)', { timestamp: Math.floor(Date.now() / 1000) - 600 }],
    ['not signed', { unsigned: true }],
  ])('refuses an event %s with a 400 and changes nothing', async (_name, options) => {
    const c = await newCustomer(app.url);
    const before = await tableSnapshot(app);
    const reply = await deliver(
      app.url,
      stripeEvent('checkout.session.completed', packSession({ accountId: c.accountId, pack: 'pack_100', amount: 500 })),
      options,
    );
    expect(reply.status).toBe(400);
    expect(reply.type).toContain('application/problem+json');
    expect(reply.body.detail).toMatch(/Stripe-Signature/);
    expect(await tableSnapshot(app)).toBe(before);
  });
});

describe('POST /v1/webhooks/stripe: events Tollgate cannot place', () => {
  it.each([
    ['an unknown account', () => stripeEvent('checkout.session.completed', packSession({ accountId: 'acc_AAAAAAAAAAAAAAAA', pack: 'pack_100', amount: 500 }))],
    ['an unknown pack', (accountId: string) => stripeEvent('checkout.session.completed', packSession({ accountId, pack: 'pack_7', amount: 500 }))],
    ['an event type it does not handle', () => stripeEvent('customer.created', { id: newId('cus'), object: 'customer' })],
    [
      'a refund of a payment it never credited',
      () => stripeEvent('charge.refunded', { id: newId('ch'), object: 'charge', amount: 500, amount_refunded: 500, payment_intent: newId('pi') }),
    ],
    [
      'a plan it does not sell',
      (accountId: string) =>
        stripeEvent('invoice.paid', {
          id: newId('in'),
          parent: { subscription_details: { subscription: newId('sub'), metadata: { tollgate_account: accountId, tollgate_plan: 'platinum' } } },
        }),
    ],
  ])('acknowledges %s (so Stripe stops retrying) and changes nothing', async (_name, event) => {
    const c = await newCustomer(app.url);
    const before = await tableSnapshot(app);
    const reply = await deliver(app.url, event(c.accountId));
    expect(reply).toMatchObject({ status: 200, body: { received: true, result: 'ignored' } });
    expect(await tableSnapshot(app)).toBe(before);
  });
});

describe('POST /v1/webhooks/stripe: refunds', () => {
  it('takes back what is left of refunded credits, never below zero, and records the rest for the operator', async () => {
    const c = await newCustomer(app.url);
    const session = packSession({ accountId: c.accountId, pack: 'pack_100', amount: 500 });
    await deliver(app.url, stripeEvent('checkout.session.completed', session));
    const spent = await call(app.url, 'POST', `/v1/accounts/${c.accountId}/debits`, {
      token: ADMIN_KEY,
      body: { credits: 70, operation: 'export' },
      idempotencyKey: 'spend',
    });
    expect(spent.status).toBe(201);
    const refund = stripeEvent('charge.refunded', {
      id: newId('ch'),
      object: 'charge',
      amount: 500,
      amount_refunded: 500,
      payment_intent: session.payment_intent,
    });
    expect((await deliver(app.url, refund)).body.result).toBe('applied');
    expect((await deliver(app.url, refund)).body.result).toBe('duplicate');
    expect(await balance(c.apiKey)).toBe(0);
    expect((await account(c.accountId)).unrecoveredCredits).toBe(70);
    await app.settle();
    const reversal = (await ledger(c.accountId)).find((entry: { type: string }) => entry.type === 'reversal');
    expect(reversal).toMatchObject({ credits: -30, balanceAfter: 0 });
  });

  it('reverses a partial refund in proportion, and a later full refund only the rest', async () => {
    const c = await newCustomer(app.url);
    const session = packSession({ accountId: c.accountId, pack: 'pack_500', amount: 2000 });
    await deliver(app.url, stripeEvent('checkout.session.completed', session));
    const charge = { id: newId('ch'), object: 'charge', amount: 2000, payment_intent: session.payment_intent };
    const full = stripeEvent('charge.refunded', { ...charge, amount_refunded: 2000 });
    const half = stripeEvent('charge.refunded', { ...charge, amount_refunded: 1000 });
    await deliver(app.url, half);
    expect(await balance(c.apiKey)).toBe(250);
    await deliver(app.url, full);
    await deliver(app.url, half); // late redelivery of the older total
    expect(await balance(c.apiKey)).toBe(0);
    expect((await account(c.accountId)).unrecoveredCredits).toBe(0);
  });
});

describe('POST /v1/webhooks/stripe: plan subscriptions', () => {
  const invoice = (accountId: string, plan: string, subscription: string) => ({
    id: newId('in'),
    object: 'invoice',
    status: 'paid',
    parent: { type: 'subscription_details', subscription_details: { subscription, metadata: { tollgate_account: accountId, tollgate_plan: plan } } },
  });

  it('reads the subscription from invoices of webhook endpoints on API versions before parent.subscription_details', async () => {
    const c = await newCustomer(app.url);
    const legacy = {
      id: newId('in'),
      object: 'invoice',
      subscription: newId('sub'),
      subscription_details: { metadata: { tollgate_account: c.accountId, tollgate_plan: 'growth' } },
    };
    expect((await deliver(app.url, stripeEvent('invoice.paid', legacy))).body.result).toBe('applied');
    expect(await balance(c.apiKey)).toBe(5000);
  });

  it('grants the plan once per paid invoice, and a cancelled subscription goes back to the default plan', async () => {
    const c = await newCustomer(app.url);
    const subscription = newId('sub');
    const paid = stripeEvent('invoice.paid', invoice(c.accountId, 'starter', subscription));
    expect((await deliver(app.url, paid)).body.result).toBe('applied');
    expect((await deliver(app.url, paid)).body.result).toBe('duplicate');
    expect(await balance(c.apiKey)).toBe(1000);
    expect((await account(c.accountId)).plan).toBe('starter');
    // The monthly renewal leaves a subscribed account to its invoices.
    expect(await renewAccount(c.accountId, pricing, new Date(Date.now() + 31 * 86_400_000))).toBe('subscribed');
    const next = stripeEvent('invoice.paid', invoice(c.accountId, 'starter', subscription));
    await deliver(app.url, next);
    expect(await balance(c.apiKey)).toBe(2000); // rollover: last period's unused 1,000 carry over, capped at one month
    const cancelled = stripeEvent('customer.subscription.deleted', { id: subscription, object: 'subscription', metadata: { tollgate_account: c.accountId } });
    expect((await deliver(app.url, cancelled)).body.result).toBe('applied');
    expect((await account(c.accountId)).plan).toBe('free');
    expect(await balance(c.apiKey)).toBe(2000); // this period's credits stay
    expect(await renewAccount(c.accountId, pricing, new Date(Date.now() + 31 * 86_400_000))).toBe('renewed');
  });
});
