import type { AccountItem } from '../accounts/model.ts';
import { thresholdLevel } from '../alerts/crossings.ts';
import { DEFAULT_THRESHOLDS } from '../alerts/settings.ts';

/** The RateLimit quota policy name Tollgate advertises (draft-ietf-httpapi-ratelimit-headers). */
export const CREDITS_POLICY = 'credits';

/** What the signals read of an account item. */
export type BalanceSource = Pick<AccountItem, 'balance'> & Partial<Pick<AccountItem, 'baseline' | 'alerts'>>;

/** The balance is at or below the account's lowest alert threshold: the level, in credits, and that threshold. */
export interface LowBalance {
  percent: number;
  level: number;
}

/** The lowest alert threshold the balance has reached, measured against the balance after the latest top-up or grant. */
export function lowBalance(account: BalanceSource): LowBalance | undefined {
  const baseline = account.baseline ?? 0;
  if (baseline <= 0) return undefined;
  const percent = Math.min(...(account.alerts?.thresholds ?? DEFAULT_THRESHOLDS));
  const level = thresholdLevel(baseline, percent);
  return account.balance <= level ? { percent, level } : undefined;
}

/**
 * What every metered success tells the client about its credits, so an app can warn its user
 * before the wall without another call. The RateLimit fields (structured fields, draft-ietf-
 * httpapi-ratelimit-headers) advertise the prepaid quota: `q` the credits the latest top-up or
 * grant left, `r` what remains; there is no window (`w`) or reset (`t`), as credits do not
 * refill on a clock. `Credits-Low` (a structured-field dictionary) appears only at or below the
 * lowest alert threshold: the threshold, its level in credits and, when one can be made, the
 * signed usage-page link to show in a banner.
 */
export function balanceSignalHeaders(account: BalanceSource, usagePageUrl?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Policy': `"${CREDITS_POLICY}";q=${Math.max(account.baseline ?? 0, account.balance)}`,
    RateLimit: `"${CREDITS_POLICY}";r=${account.balance}`,
  };
  const low = lowBalance(account);
  if (low) headers['Credits-Low'] = `threshold=${low.percent}, level=${low.level}${usagePageUrl ? `, usage="${usagePageUrl}"` : ''}`;
  return headers;
}
