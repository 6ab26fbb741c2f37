import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minorUnits } from '../../functions/payments/money.ts';
import type { CheckoutOrder } from '../../functions/payments/provider.ts';
import { stripeProvider } from '../../functions/payments/stripe-provider.ts';
import { pricing } from '../support/prices.ts';

/**
 * The Stripe adapter against a local HTTP server standing in for Stripe's API: no emulator of
 * Stripe's API exists, and tests have no network. The SDK is the real one (`host`/`port`/
 * `protocol` point it here); the server records what the SDK sends and answers as Stripe would.
 */
interface Recorded {
  method: string;
  path: string;
  authorization: string;
  form: URLSearchParams;
}

let server: Server;
let port: number;
const recorded: Recorded[] = [];

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    recorded.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization ?? '',
      form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Request-Id': 'req_local' });
    res.end(JSON.stringify({ id: 'cs_test_recorded', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_recorded' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const provider = () => stripeProvider('sk_test_local_stand_in', { host: '127.0.0.1', port, protocol: 'http' });
const base = {
  accountId: 'acc_AAAAAAAAAAAAAAAA',
  customerEmail: 'owner@test.example',
  successUrl: 'https://api.example.com/checkout/done?token=t&session_id={CHECKOUT_SESSION_ID}',
  cancelUrl: 'https://api.example.com/usage?token=u',
};
const pack = pricing.topUps.find((p) => p.id === 'pack_500');
const plan = pricing.plans.find((p) => p.id === 'starter');

describe('Stripe adapter: Checkout Sessions', () => {
  it('creates a one-off payment for a pack, priced from the price book, naming account, pack and parked query', async () => {
    if (!pack) throw new Error('pack_500 is in the demo price book');
    const order: CheckoutOrder = { ...base, item: { kind: 'pack', pack }, queryId: 'q_ABCDEFGHIJKLMNOP' };
    const session = await provider().createCheckout(order);
    expect(session).toEqual({ id: 'cs_test_recorded', url: 'https://checkout.stripe.com/c/pay/cs_test_recorded' });
    const request = recorded.at(-1);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/checkout/sessions', authorization: 'Bearer sk_test_local_stand_in' });
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      mode: 'payment',
      client_reference_id: 'acc_AAAAAAAAAAAAAAAA',
      customer_email: 'owner@test.example',
      success_url: base.successUrl,
      cancel_url: base.cancelUrl,
      'metadata[tollgate_account]': 'acc_AAAAAAAAAAAAAAAA',
      'metadata[tollgate_pack]': 'pack_500',
      'metadata[tollgate_query]': 'q_ABCDEFGHIJKLMNOP',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '2000',
      'line_items[0][price_data][product_data][name]': '500 credits',
      'payment_intent_data[metadata][tollgate_account]': 'acc_AAAAAAAAAAAAAAAA',
      'payment_intent_data[metadata][tollgate_pack]': 'pack_500',
      'payment_intent_data[metadata][tollgate_query]': 'q_ABCDEFGHIJKLMNOP',
    });
  });

  it("subscribes to a plan at the plan's Stripe price, with the account on the subscription's metadata", async () => {
    if (!plan) throw new Error('starter is in the demo price book');
    await provider().createCheckout({ ...base, item: { kind: 'plan', plan: { ...plan, stripePriceId: 'price_starter_monthly' } } });
    expect(Object.fromEntries(recorded.at(-1)?.form ?? [])).toEqual({
      mode: 'subscription',
      client_reference_id: 'acc_AAAAAAAAAAAAAAAA',
      customer_email: 'owner@test.example',
      success_url: base.successUrl,
      cancel_url: base.cancelUrl,
      'metadata[tollgate_account]': 'acc_AAAAAAAAAAAAAAAA',
      'metadata[tollgate_plan]': 'starter',
      'line_items[0][quantity]': '1',
      'line_items[0][price]': 'price_starter_monthly',
      'subscription_data[metadata][tollgate_account]': 'acc_AAAAAAAAAAAAAAAA',
      'subscription_data[metadata][tollgate_plan]': 'starter',
    });
  });

  it('without a configured Stripe price, subscribes at a monthly price made from the price book', async () => {
    if (!plan) throw new Error('starter is in the demo price book');
    await provider().createCheckout({ ...base, item: { kind: 'plan', plan } });
    expect(Object.fromEntries(recorded.at(-1)?.form ?? [])).toMatchObject({
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '2900',
      'line_items[0][price_data][recurring][interval]': 'month',
      'line_items[0][price_data][product_data][name]': 'Starter plan',
    });
  });
});

describe('minorUnits', () => {
  it.each([
    [{ amount: '5.00', currency: 'USD' }, 500],
    [{ amount: '70', currency: 'EUR' }, 7000],
    [{ amount: '0.1', currency: 'GBP' }, 10],
    [{ amount: '1500', currency: 'JPY' }, 1500],
    [{ amount: '19.99', currency: 'usd' }, 1999],
  ])('%o is %i in the smallest unit', (money, expected) => {
    expect(minorUnits(money)).toBe(expected);
  });

  it('refuses amounts it cannot represent exactly', () => {
    expect(() => minorUnits({ amount: '1.005', currency: 'USD' })).toThrow(/more decimals/);
    expect(() => minorUnits({ amount: '1e3', currency: 'USD' })).toThrow(/not a decimal/);
  });
});
