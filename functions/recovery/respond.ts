import type { AccountItem } from '../accounts/model.ts';
import { balanceOf } from '../accounts/model.ts';
import { signedUrl } from '../alerts/links.ts';
import { accountCopy } from '../copy/account-copy.ts';
import { chooseLocale } from '../copy/locales.ts';
import type { Copy } from '../copy/render.ts';
import { baseUrl, header } from '../http/request.ts';
import { problemResponse } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import { isUnavailable } from '../http/unavailable.ts';
import { ledgerSince } from '../metering/ledger-store.ts';
import { stored } from '../metering/metered-call.ts';
import type { TxnItem } from '../metering/txn.ts';
import { saveResponse } from '../metering/txn-store.ts';
import { buyLinks } from '../payments/buy-links.ts';
import { priceBook } from '../pricing/configured.ts';
import { config } from '../shared/config.ts';
import { throttlePatient } from '../shared/dynamodb.ts';
import { logger } from '../shared/logger.ts';
import { summarizeUsage, type UsageSummary } from '../usage/aggregate.ts';
import { insufficientCreditsProblem } from './insufficient-credits.ts';
import { socialProofFor } from './social-proof-source.ts';

/** The usage period the 402 explains: the last 30 days. */
const USAGE_WINDOW_DAYS = 30;
/**
 * Per container: an account's usage summary is reused for the 402s of this long. An account that
 * ran dry under load is refused many times a second, and each refusal would otherwise read its
 * whole month of ledger (on every sub-balance's key when sharded), throttling the refusals themselves.
 */
const USAGE_REUSE_MS = 10_000;
const recentUsage = new Map<string, { summary: Promise<UsageSummary>; at: number }>();

/** The account's spending of the last 30 days, as of now or at most `USAGE_REUSE_MS` before (the summary says until when). */
async function usageFor(account: Pick<AccountItem, 'id' | 'shardSlots'>, now: Date): Promise<UsageSummary> {
  const reused = recentUsage.get(account.id);
  if (reused && now.getTime() - reused.at >= 0 && now.getTime() - reused.at < USAGE_REUSE_MS) return reused.summary;
  const from = new Date(now.getTime() - USAGE_WINDOW_DAYS * 86_400_000);
  // Kept while it is read, so refusals arriving together share one read; a failed read is not kept.
  const summary = throttlePatient(() => ledgerSince(account.id, from, account.shardSlots)).then((entries) => summarizeUsage(entries, from, now));
  for (const [id, kept] of recentUsage) if (now.getTime() - kept.at >= USAGE_REUSE_MS) recentUsage.delete(id);
  recentUsage.set(account.id, { summary, at: now.getTime() });
  summary.catch(() => {
    if (recentUsage.get(account.id)?.summary === summary) recentUsage.delete(account.id);
  });
  return summary;
}

/** Builds the 402 recovery answer for a refused txn, with where the credits went. */
export async function insufficientCreditsResponse(p: {
  account: AccountItem;
  txn: TxnItem;
  now: Date;
  baseUrl: string;
  billingUrl?: string;
  copy?: Copy;
}): Promise<HttpResult> {
  const usage = await usageFor(p.account, p.now).catch((error: unknown) => {
    // Where the credits went is part of the way forward, not a condition of it: a ledger that cannot be read in time
    // (throttled past patience, unreachable) leaves it out; the refusal itself is already decided and recorded.
    if (!isUnavailable(error)) throw error;
    logger.warn('the 402 is answered without its usage summary: the ledger could not be read', { error, accountId: p.account.id });
    return undefined;
  });
  // Buying from this answer (or from the usage page it links to) runs the parked query once paid.
  const parkedId = p.txn.status === 'parked' ? p.txn.id : undefined;
  const pricing = priceBook();
  const problem = insufficientCreditsProblem({
    balance: balanceOf(p.account, p.now),
    required: p.txn.credits,
    operation: p.txn.operation,
    query: p.txn.status === 'parked' && p.txn.resumableUntil ? { id: p.txn.id, resumableUntil: p.txn.resumableUntil } : undefined,
    usage,
    pricing,
    baseUrl: p.baseUrl,
    billingUrl: p.billingUrl,
    usagePageUrl: await signedUrl('usage', p.account.id, p.now, { queryId: parkedId }),
    buyLinks: await buyLinks(p.account.id, pricing, p.now, parkedId),
    socialProof: await socialProofFor(p.account.plan, p.now),
    copy: p.copy,
  });
  // Parked queries have their own URL (set by the builder); a refused debit is named by its txn.
  return problemResponse(problem, `urn:tollgate:txn:${p.txn.id}`);
}

/**
 * The 402 for a refused charge, with links based on this API's URL. Kept on the txn by default,
 * so a retry with the same Idempotency-Key gets the same answer; a refused resume is not kept
 * (the query's stored answer stays the one its first request got). It speaks the request's
 * `Accept-Language` (else the account's locale, else English).
 */
export async function refusalAnswer(event: HttpEvent, refused: { account: AccountItem; txn: TxnItem }, now: Date, keep = true): Promise<HttpResult> {
  const response = await insufficientCreditsResponse({
    ...refused,
    now,
    baseUrl: baseUrl(event, config().TOLLGATE_PUBLIC_URL),
    billingUrl: config().BILLING_URL,
    copy: await accountCopy(refused.account, chooseLocale(header(event, 'accept-language'), refused.account.locale)),
  });
  if (keep) await saveResponse(refused.txn, stored(response));
  return response;
}
