import Stripe from 'stripe';
import { z } from 'zod';
import { ValidationError } from '../shared/errors.ts';
import { METADATA } from './provider.ts';

/**
 * Verifies a Stripe webhook delivery: the `Stripe-Signature` header must be Stripe's HMAC of
 * these exact bytes under the endpoint's secret, made within the SDK's default tolerance (5
 * minutes). Anything else — no header, another secret, a changed byte, an old timestamp — is a
 * 400 and nothing is read from the body.
 */
export function verifiedEvent(rawBody: Buffer, signature: string | undefined, secret: string): Stripe.Event {
  if (!signature) throw new ValidationError('This webhook has no "Stripe-Signature" header; only events signed by Stripe are accepted.');
  try {
    return Stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (error) {
    throw new ValidationError(`The "Stripe-Signature" header does not match this body: ${(error as Error).message}`);
  }
}

const metadata = z
  .record(z.string(), z.string())
  .nullish()
  .transform((value) => value ?? {});

/** The fields of a Checkout Session Tollgate acts on. */
export const checkoutSessionSchema = z.object({
  id: z.string().min(1),
  mode: z.enum(['payment', 'subscription', 'setup']),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  client_reference_id: z.string().nullish(),
  metadata,
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  payment_intent: z.string().nullish(),
});
export type CheckoutSessionData = z.infer<typeof checkoutSessionSchema>;

const subscriptionDetails = z.object({ subscription: z.union([z.string(), z.object({ id: z.string() })]).nullish(), metadata });

/**
 * An invoice; a subscription's invoice carries the subscription's metadata (set at checkout): in
 * `parent.subscription_details` since API version 2025-03-31, in `subscription_details` (with the
 * subscription id in `subscription`) before it. Endpoints keep the version they were created with.
 */
export const invoiceSchema = z
  .object({
    id: z.string().min(1),
    parent: z.object({ subscription_details: subscriptionDetails.nullish() }).nullish(),
    subscription_details: subscriptionDetails.nullish(),
    subscription: z.union([z.string(), z.object({ id: z.string() })]).nullish(),
  })
  .transform(({ id, parent, subscription_details, subscription }) => ({
    id,
    subscriptionDetails: parent?.subscription_details ?? (subscription_details ? { subscription, ...subscription_details } : undefined),
  }));
export type InvoiceData = z.infer<typeof invoiceSchema>;

export const subscriptionSchema = z.object({ id: z.string().min(1), metadata });

/** A charge: `amount_refunded` is cumulative over all its refunds. */
export const chargeSchema = z.object({
  id: z.string().min(1),
  amount: z.number().int().min(0),
  amount_refunded: z.number().int().min(0),
  payment_intent: z.string().nullish(),
});

/** The event's object, or undefined when it lacks what Tollgate needs (acknowledged and counted, never retried). */
export function eventObject<T>(event: Stripe.Event, schema: z.ZodType<T>): T | undefined {
  const parsed = schema.safeParse(event.data.object);
  return parsed.success ? parsed.data : undefined;
}

export const metadataOf = (data: { metadata: Record<string, string> }) => ({
  accountId: data.metadata[METADATA.account],
  pack: data.metadata[METADATA.pack],
  plan: data.metadata[METADATA.plan],
  queryId: data.metadata[METADATA.query],
});
