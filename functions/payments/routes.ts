import { z } from 'zod';
import { getAccount } from '../accounts/store.ts';
import { signedUrl } from '../alerts/links.ts';
import { accountCopy } from '../copy/account-copy.ts';
import { recordVisit } from '../funnel/record.ts';
import type { RouteMap } from '../http/handler.ts';
import { baseUrl, header, parseQuery } from '../http/request.ts';
import { json } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { findTxn } from '../metering/txn-store.ts';
import { config } from '../shared/config.ts';
import { NotFoundError, PayloadTooLargeError, ServiceUnavailableError, ValidationError } from '../shared/errors.ts';
import { countMetric } from '../shared/metrics.ts';
import { linkSigningSecret, stripeWebhookSecret } from '../shared/secrets.ts';
import { type LinkClaims, verifyLink } from '../shared/signed-links.ts';
import type { WebhookReceipt } from './openapi.ts';
import type { PaymentDeps } from './outcome.ts';
import { checkoutResultPage, noCheckoutPage } from './pages.ts';
import type { CheckoutOrder } from './provider.ts';
import { paymentProvider } from './providers.ts';
import { purchaseTxnId } from './purchases.ts';
import { verifiedEvent } from './stripe-events.ts';
import { handleStripeEvent } from './webhook.ts';

/** Stripe events are a few KB; this leaves ample room and still refuses floods before verification. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

const checkoutQuery = z.strictObject({ token: z.string().min(10).max(2048) });
const resultQuery = z.strictObject({
  token: z.string().min(10).max(2048),
  session_id: z.string().regex(/^cs_[A-Za-z0-9_]{1,250}$/, 'must be the checkout session id the payment page sent back'),
});

/** Checkout (signed Buy links), the page after paying, and the payment provider's webhook. */
export function paymentRoutes(deps: PaymentDeps): RouteMap {
  return {
    'GET /checkout': (event) => checkout(event, deps),
    'GET /checkout/done': (event) => checkoutDone(event, deps),
    'POST /v1/webhooks/stripe': (event) => stripeWebhook(event, deps),
  };
}

/** The pack or plan a checkout link names, from the price book. */
function itemOf(claims: LinkClaims<'checkout'>, deps: PaymentDeps): CheckoutOrder['item'] {
  const pack = claims.pack ? deps.pricing.topUps.find((p) => p.id === claims.pack) : undefined;
  if (pack) return { kind: 'pack', pack };
  const plan = claims.plan ? deps.pricing.plans.find((p) => p.id === claims.plan) : undefined;
  if (plan) return { kind: 'plan', plan };
  throw new NotFoundError('What this link offered is no longer for sale. Open your usage page for the current packs and plans.');
}

async function checkout(event: HttpEvent, deps: PaymentDeps): Promise<HttpResult> {
  const now = deps.clock.now();
  const claims = verifyLink(parseQuery(event, checkoutQuery).token, 'checkout', now, await linkSigningSecret());
  const account = await getAccount(claims.accountId);
  const item = itemOf(claims, deps);
  await recordVisit(account.id, 'checkoutStarted', now);
  const usageUrl = await signedUrl('usage', account.id, now, { queryId: claims.queryId });
  const provider = await paymentProvider();
  if (!provider) {
    const billing = config().BILLING_URL;
    if (!billing) return noCheckoutPage(account, usageUrl, await accountCopy(account));
    const target = new URL(billing);
    target.searchParams.set(item.kind, item.kind === 'pack' ? item.pack.id : item.plan.id);
    return redirect(target.toString());
  }
  // The page after paying gets a fresh link (this one may be close to expiring); the provider fills in the session id.
  const resultUrl = new URL(await signedUrl('checkout', account.id, now, { queryId: claims.queryId, pack: claims.pack, plan: claims.plan }));
  resultUrl.pathname = '/checkout/done';
  const session = await provider.createCheckout({
    accountId: account.id,
    customerEmail: account.email,
    item,
    queryId: claims.queryId,
    successUrl: `${resultUrl.toString()}&session_id={CHECKOUT_SESSION_ID}`,
    cancelUrl: usageUrl,
  });
  return redirect(session.url);
}

async function checkoutDone(event: HttpEvent, deps: PaymentDeps): Promise<HttpResult> {
  const now = deps.clock.now();
  const query = parseQuery(event, resultQuery);
  const claims = verifyLink(query.token, 'checkout', now, await linkSigningSecret());
  const account = await getAccount(claims.accountId);
  const item = itemOf(claims, deps);
  const confirmed =
    item.kind === 'pack' ? (await findTxn(account.id, purchaseTxnId(account.id, query.session_id))) !== undefined : account.subscription?.plan === item.plan.id;
  const parked = claims.queryId ? await findTxn(account.id, claims.queryId) : undefined;
  const copy = await accountCopy(account);
  return checkoutResultPage({
    account,
    copy,
    purchase:
      item.kind === 'pack'
        ? copy.t('email.receipt.pack', { credits: item.pack.credits, price: item.pack.price })
        : copy.t('page.checkout.plan', { plan: item.plan.name }),
    confirmed,
    query: parked?.kind === 'query' ? parked : undefined,
    apiBaseUrl: baseUrl(event, config().TOLLGATE_PUBLIC_URL),
    usageUrl: await signedUrl('usage', account.id, now, { queryId: claims.queryId }),
    refreshUrl: `${event.rawPath}?${event.rawQueryString}`,
  });
}

async function stripeWebhook(event: HttpEvent, deps: PaymentDeps): Promise<HttpResult> {
  const secret = await stripeWebhookSecret();
  // Answered with a 503 so that Stripe keeps the event and retries it once the secret is set.
  if (!secret)
    throw new ServiceUnavailableError(
      'Stripe webhooks are not configured here yet: set STRIPE_WEBHOOK_SECRET (or its secret) to the endpoint’s signing secret.',
    );
  let verified: ReturnType<typeof verifiedEvent>;
  try {
    verified = verifiedEvent(rawBytes(event), header(event, 'stripe-signature'), secret);
  } catch (error) {
    countMetric('paymentWebhooksRefused');
    throw error;
  }
  const outcome = await handleStripeEvent(verified, deps);
  return json(200, { received: true, ...outcome } satisfies WebhookReceipt);
}

/** The body exactly as sent: the signature covers these bytes, so it is never re-encoded or parsed first. */
function rawBytes(event: HttpEvent): Buffer {
  if (!event.body) throw new ValidationError('This webhook has no body.');
  const bytes = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > MAX_WEBHOOK_BYTES) throw new PayloadTooLargeError(MAX_WEBHOOK_BYTES);
  return bytes;
}

function redirect(location: string): HttpResult {
  return { statusCode: 303, headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } };
}
