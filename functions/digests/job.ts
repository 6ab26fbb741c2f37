import type { AccountItem } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { signedUrl, UNSUBSCRIBE_TTL_HOURS } from '../alerts/links.ts';
import { RUNWAY_WINDOW_DAYS, runwayDays } from '../alerts/runway.ts';
import { type EmailSender, isPermanentSendFailure } from '../alerts/ses-sender.ts';
import { effectiveAlerts } from '../alerts/settings.ts';
import { accountCopy } from '../copy/account-copy.ts';
import type { DigestRun as DigestRunView } from '../funnel/openapi.ts';
import { ledgerSince } from '../metering/ledger-store.ts';
import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { summarizeUsage } from '../usage/aggregate.ts';
import { renderDigestEmail } from './email.ts';
import { type DigestPeriod, type DigestPeriodKind, lastCompletedPeriod } from './period.ts';
import { claimDigest, digestSubscribers, markDigestSent, releaseDigest } from './store.ts';

export interface DigestDeps {
  sender: EmailSender;
  clock: { now(): Date };
}

/** What a run did (`POST /v1/jobs/digest/run` answers it): the document's schema. */
export type DigestRun = DigestRunView;

/**
 * Sends the digest of the last completed period to every account on the frequency's work list
 * (never a table scan). Each account's digest is claimed per period before it is sent, so a run
 * that repeats or overlaps another sends nothing twice; a failed send gives its claim back and
 * fails the run, so the retry sends it.
 */
export async function runDigests(kind: DigestPeriodKind, deps: DigestDeps): Promise<DigestRun> {
  const now = deps.clock.now();
  const period = lastCompletedPeriod(kind, now);
  const run: DigestRun = { period: period.id, sent: 0, already: 0, skipped: 0, failed: 0 };
  for await (const accountId of digestSubscribers(kind)) {
    const account = await findAccount(accountId);
    if (!account || effectiveAlerts(account).digest !== kind) {
      run.skipped++;
      continue;
    }
    if (!(await claimDigest(account.id, period.id, now))) {
      run.already++;
      continue;
    }
    try {
      const messageId = await sendDigest(account, period, deps);
      await markDigestSent(account.id, period.id, messageId, deps.clock.now());
      run.sent++;
    } catch (error) {
      if (isPermanentSendFailure(error)) {
        logger.warn('digest refused permanently by SES; not retrying', { error, accountId });
        run.skipped++;
        continue;
      }
      await releaseDigest(account.id, period.id);
      run.failed++;
      logger.error('digest not sent; the run will be retried', { error, accountId });
    }
  }
  return run;
}

async function sendDigest(account: AccountItem, period: DigestPeriod, deps: DigestDeps): Promise<string | undefined> {
  const now = deps.clock.now();
  const runwayFrom = new Date(now.getTime() - RUNWAY_WINDOW_DAYS * 86_400_000);
  const entries = await ledgerSince(account.id, new Date(Math.min(period.previous.from.getTime(), runwayFrom.getTime())), account.shardSlots);
  const usageUrl = await signedUrl('usage', account.id, now);
  const email = renderDigestEmail(
    {
      name: account.name,
      period,
      balance: account.balance,
      asOf: now.toISOString(),
      usage: summarizeUsage(entries, period.from, period.to).byOperation,
      previous: summarizeUsage(entries, period.previous.from, period.previous.to).byOperation,
      runwayDays: runwayDays(account.balance, entries, now),
      links: {
        usage: usageUrl,
        topUp: config().BILLING_URL ?? usageUrl,
        remind: await signedUrl('remind', account.id, now),
        digestOff: await signedUrl('digestOff', account.id, now, { ttlHours: UNSUBSCRIBE_TTL_HOURS }),
      },
    },
    await accountCopy(account),
  );
  return deps.sender.send(effectiveAlerts(account).email, email, { kind: 'digest', period: period.kind });
}
