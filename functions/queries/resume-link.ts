import { getAccount } from '../accounts/store.ts';
import { signedUrl } from '../alerts/links.ts';
import { accountCopy } from '../copy/account-copy.ts';
import { linkClaims } from '../http/link-token.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { resumeCharge } from '../metering/charges.ts';
import { runCharged } from '../metering/metered-call.ts';
import { findTxn } from '../metering/txn-store.ts';
import { NotFoundError } from '../shared/errors.ts';
import { resumedPage, resumePage } from './resume-pages.ts';
import type { QueryDeps } from './routes.ts';

/** `GET /resume`: the page of the parked query a signed resume link names, with its price and a button to run it. */
export async function showParkedQuery(event: HttpEvent, deps: QueryDeps): Promise<HttpResult> {
  const { claims, txn } = await linkedQuery(event, deps);
  const now = deps.clock.now();
  const account = await getAccount(claims.accountId);
  return resumePage(event, txn, account, await signedUrl('usage', claims.accountId, now, { queryId: txn.id }), now, await accountCopy(account));
}

/** `POST /resume`: runs the parked query if the credits now cover it, or shows the page again with the shortfall. */
export async function resumeParkedQuery(event: HttpEvent, deps: QueryDeps): Promise<HttpResult> {
  const { claims, txn } = await linkedQuery(event, deps);
  const now = deps.clock.now();
  const start = await resumeCharge(claims.accountId, undefined, txn.id, now);
  if (start.kind === 'insufficient')
    return resumePage(
      event,
      start.txn,
      start.account,
      await signedUrl('usage', claims.accountId, now, { queryId: txn.id }),
      now,
      await accountCopy(start.account),
    );
  const charged = start.txn;
  const response = await runCharged(charged, () => deps.service.run(charged.operation ?? '', charged.input), deps.clock);
  return resumedPage(charged, response, await signedUrl('usage', claims.accountId, now), await accountCopy(await getAccount(claims.accountId)));
}

/** The parked query a signed resume link names. */
async function linkedQuery(event: HttpEvent, deps: QueryDeps) {
  const claims = await linkClaims(event, 'resume', deps.clock.now());
  const txn = await findTxn(claims.accountId, claims.queryId);
  if (txn?.kind !== 'query') throw new NotFoundError('This link names no query on your account.');
  return { claims, txn };
}
