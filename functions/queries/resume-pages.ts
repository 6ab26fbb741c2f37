import type { AccountItem } from '../accounts/model.ts';
import type { Copy } from '../copy/render.ts';
import { BUTTON_STYLE, postBackForm, simplePage } from '../http/page.ts';
import { escapeHtml, html } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import type { TxnItem } from '../metering/txn.ts';

/** What a resume link shows: the waiting query and, when the balance covers it, a button to run it. */
export function resumePage(event: HttpEvent, txn: TxnItem, account: AccountItem, usageUrl: string, now: Date, copy: Copy): HttpResult {
  const { t } = copy;
  const page = (status: number, title: string, text: string, extra?: string) => html(status, simplePage(title, text, extra, copy.locale));
  const operation = txn.operation ?? t('unit.query');
  const path = `/v1/queries/${txn.id}`;
  if (txn.status === 'completed') return page(200, t('page.resume.done.title'), t('page.resume.done.text', { operation, path }));
  if (txn.status !== 'parked') return page(409, t('page.resume.unavailable.title'), t('page.resume.unavailable.text', { operation, status: txn.status }));
  if (txn.resumableUntil && txn.resumableUntil <= now.toISOString()) {
    return page(410, t('page.resume.expired.title'), t('page.resume.expired.text', { operation, expiresAt: txn.resumableUntil }));
  }
  const amounts = { operation, required: txn.credits, balance: account.balance, shortfall: txn.credits - account.balance };
  if (amounts.shortfall > 0) {
    return page(
      200,
      t('page.resume.short.title', amounts),
      t('page.resume.short.text', amounts),
      `<p><a href="${escapeHtml(usageUrl)}">${escapeHtml(t('page.resume.short.link'))}</a></p>`,
    );
  }
  return page(
    200,
    t('page.resume.ready.title', amounts),
    t('page.resume.ready.text', amounts),
    postBackForm(event, `<button type="submit" style="${BUTTON_STYLE}">${escapeHtml(t('page.resume.ready.button'))}</button>`),
  );
}

/** After a resume from a link: what ran, what it cost, what happens next, and the way back to the usage page. */
export function resumedPage(txn: TxnItem, response: HttpResult, usageUrl: string, copy: Copy): HttpResult {
  const { t } = copy;
  const operation = txn.operation ?? t('unit.query');
  const back = `<p><a href="${escapeHtml(usageUrl)}">${escapeHtml(t('page.backToUsage'))}</a></p>`;
  if (response.statusCode !== 200)
    return html(response.statusCode, simplePage(t('page.failed.title'), t('page.resumed.failed.text', { operation }), back, copy.locale));
  const remaining = Number(response.headers['Credits-Remaining'] ?? 0);
  return html(
    200,
    simplePage(
      t('page.resumed.done.title', { operation }),
      t('page.resumed.done.text', { credits: txn.credits, balance: remaining, path: `/v1/queries/${txn.id}` }),
      back,
      copy.locale,
    ),
  );
}
