import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/** The webhook endpoint secret the tests' app verifies with (set before `startTestApp`). */
export const WEBHOOK_SECRET = `whsec_test_${randomBytes(16).toString('hex')}`;

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
export const newId = id;

/** A Stripe event envelope around `object`, as Stripe delivers it. */
export function stripeEvent(type: string, object: Record<string, unknown>): Record<string, unknown> {
  return { id: id('evt'), object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, type, data: { object } };
}

/** A Checkout Session for a pack, as `checkout.session.*` events carry it. */
export function packSession(p: {
  accountId: string;
  pack: string;
  amount: number;
  queryId?: string;
  paid?: boolean;
  sessionId?: string;
  paymentIntent?: string;
}) {
  return {
    id: p.sessionId ?? id('cs_test'),
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: p.paid === false ? 'unpaid' : 'paid',
    client_reference_id: p.accountId,
    metadata: { tollgate_account: p.accountId, tollgate_pack: p.pack, ...(p.queryId ? { tollgate_query: p.queryId } : {}) },
    amount_total: p.amount,
    currency: 'usd',
    payment_intent: p.paymentIntent ?? id('pi'),
  };
}

/** Signs `payload` the way Stripe does, with the SDK's own helper. */
export function signature(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp });
}

/** Delivers an event to the webhook route; `tamper` changes the body after signing. */
export async function deliver(
  baseUrl: string,
  event: Record<string, unknown>,
  options: { secret?: string; timestamp?: number; tamper?: (payload: string) => string; unsigned?: boolean } = {},
) {
  const payload = JSON.stringify(event);
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (!options.unsigned) headers['Stripe-Signature'] = signature(payload, options);
  const response = await fetch(`${baseUrl}/v1/webhooks/stripe`, { method: 'POST', headers, body: options.tamper ? options.tamper(payload) : payload });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : undefined };
}
