import type Stripe from 'stripe';
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';
import { type EventOutcome, ignored, type PaymentDeps } from './outcome.ts';
import { completeCheckout } from './purchases.ts';
import { reverseRefund } from './refunds.ts';
import { chargeSchema, checkoutSessionSchema, eventObject, invoiceSchema, subscriptionSchema } from './stripe-events.ts';
import { cancelSubscription, grantInvoice } from './subscriptions.ts';

/** A verified Stripe event → what it does to Tollgate. Every outcome is acknowledged; only failures to apply it are retried. */
export async function handleStripeEvent(event: Stripe.Event, deps: PaymentDeps): Promise<EventOutcome> {
  const outcome = await dispatch(event, deps);
  if (outcome.result === 'ignored') {
    countMetric('paymentEventsIgnored');
    logger.warn('payment event ignored', { eventId: event.id, type: event.type, reason: outcome.reason });
  } else {
    logger.info('payment event handled', { eventId: event.id, type: event.type, ...outcome });
  }
  return outcome;
}

async function dispatch(event: Stripe.Event, deps: PaymentDeps): Promise<EventOutcome> {
  const malformed = () => ignored(`the ${event.type} event lacks fields Tollgate needs`);
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = eventObject(event, checkoutSessionSchema);
      return session ? completeCheckout(session, deps) : malformed();
    }
    case 'invoice.paid': {
      const invoice = eventObject(event, invoiceSchema);
      return invoice ? grantInvoice(invoice, deps) : malformed();
    }
    case 'customer.subscription.deleted': {
      const subscription = eventObject(event, subscriptionSchema);
      return subscription ? cancelSubscription(subscription, deps) : malformed();
    }
    case 'charge.refunded': {
      const charge = eventObject(event, chargeSchema);
      return charge ? reverseRefund(charge, deps) : malformed();
    }
    default:
      return ignored(`Tollgate does not handle ${event.type} events`);
  }
}
