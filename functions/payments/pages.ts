import type { AccountItem } from '../accounts/model.ts';
import type { Copy } from '../copy/render.ts';
import { simplePage } from '../http/page.ts';
import { escapeHtml, html } from '../http/response.ts';
import type { HttpResult } from '../http/types.ts';
import type { TxnItem } from '../metering/txn.ts';

const link = (href: string, label: string) => `<p><a href="${escapeHtml(href)}">${escapeHtml(label)}</a></p>`;

/** No payment provider and no billing page: how to get credits anyway, never a dead end. */
export function noCheckoutPage(account: AccountItem, usageUrl: string, copy: Copy): HttpResult {
  const { t } = copy;
  return html(
    200,
    simplePage(
      t('page.checkout.unavailable.title'),
      t('page.checkout.unavailable.text', { name: account.name, accountId: account.id }),
      link(usageUrl, t('page.backToUsage')),
      copy.locale,
    ),
  );
}

export interface CheckoutResult {
  account: AccountItem;
  /** What was bought, e.g. "100 credits for $5.00". */
  purchase: string;
  /** Whether the payment has been confirmed to Tollgate (the provider's webhook arrived). */
  confirmed: boolean;
  /** The parked query the purchase was for, as it is now. */
  query?: TxnItem;
  apiBaseUrl: string;
  usageUrl: string;
  /** This page's own address, to look again. */
  refreshUrl: string;
  copy: Copy;
}

/**
 * Where the provider sends the customer after paying. The page says what happened: the credits
 * added and whether the waiting query ran (and how to fetch its result) — or, when the
 * provider's confirmation has not reached Tollgate yet, that it is on its way, with a refresh.
 */
export function checkoutResultPage(result: CheckoutResult): HttpResult {
  const { account, query, copy } = result;
  const { t } = copy;
  if (!result.confirmed) {
    return html(
      200,
      simplePage(
        t('page.checkout.confirming.title'),
        t('page.checkout.confirming.text', { purchase: result.purchase }),
        `${link(result.refreshUrl, t('page.refresh'))}${link(result.usageUrl, t('page.usageAndBalance'))}`,
        copy.locale,
      ),
    );
  }
  const parts = [t('page.checkout.received.text', { purchase: result.purchase, balance: account.balance })];
  let extra = '';
  const operation = query?.operation ?? t('unit.query');
  if (query?.status === 'completed') {
    parts.push(t('page.checkout.query.ran', { operation, credits: query.credits, path: `/v1/queries/${query.id}` }));
    extra = `<pre style="white-space:pre-wrap;word-break:break-all;background:#f3f4f6;padding:8px">curl -H "Authorization: Bearer $TOLLGATE_API_KEY" ${escapeHtml(`${result.apiBaseUrl}/v1/queries/${query.id}`)}</pre>`;
  } else if (query?.status === 'parked' && query.resumableUntil && query.credits > account.balance) {
    parts.push(
      t('page.checkout.query.short', {
        operation,
        required: query.credits,
        shortfall: query.credits - account.balance,
        expiresAt: query.resumableUntil,
      }),
    );
  } else if (query?.status === 'running' || query?.status === 'parked') {
    parts.push(t('page.checkout.query.starting', { operation }));
    extra = link(result.refreshUrl, t('page.refresh'));
  } else if (query?.status === 'failed') {
    parts.push(t('page.checkout.query.failed', { operation }));
  }
  return html(200, simplePage(t('page.checkout.received.title'), parts.join(' '), `${extra}${link(result.usageUrl, t('page.usageAndBalance'))}`, copy.locale));
}
