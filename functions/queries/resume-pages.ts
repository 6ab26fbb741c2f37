import type { AccountItem } from '../accounts/model.ts';
import { BUTTON_STYLE, postBackForm, simplePage } from '../http/page.ts';
import { escapeHtml, html } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import type { TxnItem } from '../metering/txn.ts';

const credits = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'credit' : 'credits'}`;

/** What a resume link shows: the waiting query and, when the balance covers it, a button to run it. */
export function resumePage(event: HttpEvent, txn: TxnItem, account: AccountItem, usageUrl: string, now: Date): HttpResult {
  const what = txn.operation ?? 'query';
  if (txn.status === 'completed')
    return html(200, simplePage('Already done', `Your ${what} has run; it runs only once. Your program can fetch its result from /v1/queries/${txn.id}.`));
  if (txn.status !== 'parked') return html(409, simplePage('Nothing to resume', `This ${what} is ${txn.status}.`));
  if (txn.resumableUntil && txn.resumableUntil <= now.toISOString()) {
    return html(410, simplePage('This query has expired', `We kept your ${what} until ${txn.resumableUntil}. Please send it again.`));
  }
  const short = txn.credits - account.balance;
  if (short > 0) {
    return html(
      200,
      simplePage(
        `Your ${what} is waiting`,
        `It needs ${credits(txn.credits)} and your balance is ${credits(account.balance)}, so you're ${credits(short)} short. Add credits, then come back to this link.`,
        `<p><a href="${escapeHtml(usageUrl)}">See your usage and ways to add credits</a></p>`,
      ),
    );
  }
  return html(
    200,
    simplePage(
      `Your ${what} is ready to run`,
      `It costs ${credits(txn.credits)}; your balance is ${credits(account.balance)}. It will run once, however many times you click.`,
      postBackForm(event, `<button type="submit" style="${BUTTON_STYLE}">Run it now</button>`),
    ),
  );
}

/** After a resume from a link: what ran, what it cost, what happens next, and the way back to the usage page. */
export function resumedPage(txn: TxnItem, response: HttpResult, usageUrl: string): HttpResult {
  const what = txn.operation ?? 'query';
  const back = `<p><a href="${escapeHtml(usageUrl)}">Back to your usage and balance</a></p>`;
  if (response.statusCode !== 200)
    return html(
      response.statusCode,
      simplePage(
        'That did not work',
        `Your ${what} could not be completed on our side; its credits were refunded. Your program can send it again as a new query.`,
        back,
      ),
    );
  const remaining = Number(response.headers['Credits-Remaining'] ?? 0);
  return html(
    200,
    simplePage(
      `Done: your ${what} ran`,
      `${credits(txn.credits)} charged; ${credits(remaining)} left. The result is kept for your program, which can fetch it from /v1/queries/${txn.id}; there is nothing else to do here, and opening this link again will not run it twice.`,
      back,
    ),
  );
}
