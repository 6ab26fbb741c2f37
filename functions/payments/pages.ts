import type { AccountItem } from '../accounts/model.ts';
import { simplePage } from '../http/page.ts';
import { escapeHtml, html } from '../http/response.ts';
import type { HttpResult } from '../http/types.ts';
import type { TxnItem } from '../metering/txn.ts';

const credits = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'credit' : 'credits'}`;
const link = (href: string, label: string) => `<p><a href="${escapeHtml(href)}">${escapeHtml(label)}</a></p>`;

/** No payment provider and no billing page: how to get credits anyway, never a dead end. */
export function noCheckoutPage(account: AccountItem, usageUrl: string): HttpResult {
  return html(
    200,
    simplePage(
      'Buying credits online is not available here yet',
      `To add credits to ${account.name}'s account, ask the team that runs this service to top it up. Tell them your account ID: ${account.id}. Credits they add are in your balance at once, and a query that is waiting runs as soon as the balance covers it.`,
      link(usageUrl, 'Back to your usage and balance'),
    ),
  );
}

export interface CheckoutResult {
  account: AccountItem;
  /** What was bought, e.g. "100 credits". */
  purchase: string;
  /** Whether the payment has been confirmed to Tollgate (the provider's webhook arrived). */
  confirmed: boolean;
  /** The parked query the purchase was for, as it is now. */
  query?: TxnItem;
  apiBaseUrl: string;
  usageUrl: string;
  /** This page's own address, to look again. */
  refreshUrl: string;
}

/**
 * Where the provider sends the customer after paying. The page says what happened: the credits
 * added and whether the waiting query ran (and how to fetch its result) — or, when the
 * provider's confirmation has not reached Tollgate yet, that it is on its way, with a refresh.
 */
export function checkoutResultPage(result: CheckoutResult): HttpResult {
  const { account, query } = result;
  if (!result.confirmed) {
    return html(
      200,
      simplePage(
        'Thank you — confirming your payment',
        `Your payment for ${result.purchase} is being confirmed; this usually takes a few seconds. Refresh this page in a moment to see your new balance. You will not be charged twice, however often you refresh.`,
        `${link(result.refreshUrl, 'Refresh')}${link(result.usageUrl, 'Your usage and balance')}`,
      ),
    );
  }
  const parts = [`${result.purchase} added. Your balance is now ${credits(account.balance)}.`];
  let extra = '';
  const what = query?.operation ?? 'query';
  if (query?.status === 'completed') {
    parts.push(`Your ${what} ran (${credits(query.credits)}). Your program can fetch its result with GET /v1/queries/${query.id} and its API key:`);
    extra = `<pre style="white-space:pre-wrap;word-break:break-all;background:#f3f4f6;padding:8px">curl -H "Authorization: Bearer $TOLLGATE_API_KEY" ${escapeHtml(`${result.apiBaseUrl}/v1/queries/${query.id}`)}</pre>`;
  } else if (query?.status === 'parked' && query.credits > account.balance) {
    parts.push(
      `Your ${what} needs ${credits(query.credits)}, so it is still ${credits(query.credits - account.balance)} short; we keep it until ${query.resumableUntil ?? 'it expires'}.`,
    );
  } else if (query?.status === 'running' || query?.status === 'parked') {
    parts.push(`Your ${what} is starting; refresh in a moment to see it done.`);
    extra = link(result.refreshUrl, 'Refresh');
  } else if (query?.status === 'failed') {
    parts.push(`Your ${what} could not be completed on our side; it was not charged. Send it again when you are ready.`);
  }
  return html(200, simplePage('Payment received', parts.join(' '), `${extra}${link(result.usageUrl, 'Your usage and balance')}`));
}
