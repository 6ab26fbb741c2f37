import { z } from 'zod';
import { answers, type FeatureApi, htmlPage, Problem } from '../http/openapi.ts';
import { chargeSchema, checkoutSessionSchema, invoiceSchema, subscriptionSchema } from './stripe-events.ts';

export const WebhookReceipt = z.object({
  received: z.literal(true),
  result: z.enum(['applied', 'duplicate', 'no-change', 'ignored']).meta({
    description:
      '`duplicate`: a redelivery, nothing changed again; `ignored`: an account, pack, plan or event type Tollgate does not know — acknowledged so Stripe stops retrying, logged and counted (alarmed).',
  }),
  detail: z.string().optional(),
  reason: z.string().optional(),
});

/** A Stripe event as Stripe sends it, with the fields of its object Tollgate reads (the code's own schemas of them). */
export const StripeEvent = z
  .object({
    id: z.string(),
    type: z.string().meta({ examples: ['checkout.session.completed', 'invoice.paid', 'charge.refunded'] }),
    data: z.object({
      object: z
        .union([checkoutSessionSchema, invoiceSchema, subscriptionSchema, chargeSchema])
        .meta({ description: 'The event’s object; these are the fields Tollgate acts on, and Stripe sends many more.' }),
    }),
  })
  .meta({ description: 'A Stripe event, exactly as Stripe sent it.' });

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/checkout',
    operationId: 'startCheckout',
    summary: 'Buy a pack or a plan from a signed Buy link',
    description:
      "Every Buy link — the options of a 402's `top_up` and `change_plan` actions, the usage page's buttons and the packs and plans in alert emails — leads here, signed for one account, one pack or plan and, when the customer was refused a query, that parked query. With Stripe configured it creates a Checkout Session (`mode: payment` at the price book's price for a pack; `mode: subscription` at the plan's `stripePriceId` for a plan; `client_reference_id` = the account; metadata `tollgate_pack`/`tollgate_plan` and `tollgate_query`) and redirects to Stripe's hosted page; locally the checkout sandbox stands in for that page. Without a payment provider it redirects to `BILLING_URL` (with `pack` or `plan` in the query), or, without one, answers a page that says how to get credits.",
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    responses: {
      '200': htmlPage('No payment provider and no billing page: how to get credits (ask the operator, with the account ID).'),
      '303': {
        description: "To the provider's hosted checkout page (or to `BILLING_URL` when no provider is configured).",
        headers: { Location: { schema: { type: 'string', format: 'uri' } } },
      },
      ...answers('BadRequest', 'LinkInvalid'),
      '404': {
        description: "The link's account does not exist, or what it offered is no longer for sale.",
        content: { 'application/problem+json': { schema: Problem } },
      },
      ...answers('LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/checkout/done',
    operationId: 'showCheckoutResult',
    summary: 'Show what a payment did',
    description:
      "Where the provider sends the customer after paying (`success_url`). Says what happened: the credits added and the new balance, and whether the parked query ran — with how to fetch its result (`GET /v1/queries/{queryId}`). When the provider's webhook has not reached Tollgate yet, it says the payment is being confirmed and offers a refresh. Opening it changes nothing.",
    parameters: [
      { $ref: '#/components/parameters/LinkToken' },
      {
        name: 'session_id',
        in: 'query',
        required: true,
        description: 'The checkout session, filled in by the payment provider.',
        schema: { type: 'string', pattern: '^cs_[A-Za-z0-9_]{1,250}$' },
      },
    ],
    responses: {
      '200': htmlPage('The result of the payment, or that it is being confirmed.'),
      ...answers('BadRequest', 'LinkInvalid'),
      '404': {
        description: "The link's account does not exist, or what it offered is no longer for sale.",
        content: { 'application/problem+json': { schema: Problem } },
      },
      ...answers('LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/stripe',
    operationId: 'receiveStripeEvent',
    summary: 'Receive a Stripe event',
    description:
      "Register this URL as a webhook endpoint in Stripe. The body is verified against `Stripe-Signature` with the endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`; 5 minutes' tolerance) before anything is read: a forged, changed, stale or unsigned event is a 400 and changes nothing. Handled: `checkout.session.completed` (paid) and `checkout.session.async_payment_succeeded` credit the pack once per session and run the parked query once, with a receipt email; `invoice.paid` grants a subscribed plan once per invoice; `customer.subscription.deleted` returns the account to the default plan from the next period; `charge.refunded` takes back the refunded credits, never below zero (the rest is the account's `unrecoveredCredits`). Every other event is acknowledged and changes nothing.",
    parameters: [
      {
        name: 'Stripe-Signature',
        in: 'header',
        required: true,
        description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, as Stripe signs.',
        schema: { type: 'string' },
      },
    ],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: StripeEvent,
        },
      },
    },
    responses: {
      '200': { description: 'Received (applied, a duplicate, not yet paid, or ignored).', content: { 'application/json': { schema: WebhookReceipt } } },
      '400': {
        description:
          'No `Stripe-Signature`, or it does not match the body under the endpoint secret (forged, changed or older than 5 minutes); nothing changed.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      ...answers('PayloadTooLarge', 'InternalError'),
      '503': {
        description: 'The webhook secret is not configured yet, or the database is unavailable: Stripe retries the event later.',
        content: { 'application/problem+json': { schema: Problem } },
      },
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type WebhookReceipt = z.output<typeof WebhookReceipt>;

export const paymentsApi: FeatureApi = {
  requests: { StripeEvent },
  responses: { WebhookReceipt },
  operations,
};
